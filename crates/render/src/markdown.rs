//! One markdown segment -> typed blocks, with HTML as text, unsafe links as text and nesting
//! depth bounded.

use desk_protocol::{Align, Block, CodeBlock, CodeOrigin, Inline, List, ListItem, Marks, Table};
use pulldown_cmark::{Alignment, CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::highlight::{lines_with_ends, CodeBuilder};
use crate::sanitize::{reveal_controls, safe_href};
use crate::syntax;

/// Quotes and lists nested deeper than this are flattened into their parent: deeper trees
/// add nothing readable and would make every consumer recurse without bound.
pub const MAX_DEPTH: usize = 32;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Code blocks highlighted in earlier renders of the same growing segment, by position, so a
/// code block inside an open list is not re-highlighted from scratch on every delta.
#[derive(Default)]
pub(crate) struct NestedCode {
    entries: Vec<NestedEntry>,
}

struct NestedEntry {
    key: (Option<String>, CodeOrigin),
    builder: CodeBuilder,
    block: CodeBlock,
}

impl NestedCode {
    fn block(&mut self, index: usize, info: Option<&str>, origin: CodeOrigin, source: &str, finished: bool) -> CodeBlock {
        let syntax = info.and_then(syntax::for_info);
        let key = (syntax.map(|s| s.name.clone()), origin);
        let reusable = self
            .entries
            .get(index)
            .is_some_and(|e| e.key == key && source.starts_with(&e.block.source[..e.builder.committed_len()]));
        if !reusable {
            let (builder, block) = CodeBuilder::new(syntax, true, origin);
            let entry = NestedEntry { key, builder, block };
            self.entries.truncate(index);
            self.entries.push(entry);
        }
        let Some(e) = self.entries.get_mut(index) else {
            return CodeBlock { language: None, origin, label: None, source: source.to_owned(), lines: Vec::new() };
        };
        let mut rest = &source[e.builder.committed_len()..];
        while let Some(end) = rest.find('\n') {
            e.builder.commit(&mut e.block, &rest[..=end]);
            rest = &rest[end + 1..];
        }
        e.builder.set_tail(&mut e.block, rest, finished);
        e.block.clone()
    }
}

/// Renders a markdown segment that contains no top-level fenced code (the segmenter takes
/// those out) into blocks. `finished`: the text will not grow (see `CodeBuilder::set_tail`).
pub(crate) fn render(text: &str, nested: &mut NestedCode, finished: bool) -> Vec<Block> {
    let mut conv = Converter { stack: vec![Frame::container(Container::Root)], marks: [0; 3], code_index: 0, nested, finished };
    for event in Parser::new_ext(text, options()) {
        conv.event(event);
    }
    while conv.stack.len() > 1 {
        conv.close();
    }
    match conv.stack.pop() {
        Some(Frame::Container { blocks, inlines, .. }) => with_loose(blocks, inlines),
        _ => Vec::new(),
    }
}

enum Container {
    Root,
    Quote,
    Item { task: Option<bool> },
}

enum InlineKind {
    Paragraph,
    Heading(u8),
    Cell,
    /// `None` when the target is not allowed: the children are kept as plain text.
    Link { href: Option<String>, title: Option<String> },
}

enum Frame {
    Container { kind: Container, blocks: Vec<Block>, inlines: Vec<Inline> },
    List { start: Option<u64>, items: Vec<ListItem> },
    Inline { kind: InlineKind, inlines: Vec<Inline> },
    Image { url: String, alt: String },
    Code { info: Option<String>, origin: CodeOrigin, text: String },
    Html(String),
    Table { table: Table, in_head: bool },
    /// A container past `MAX_DEPTH`, or a construct not enabled: its content goes to the parent.
    Skip,
}

impl Frame {
    fn container(kind: Container) -> Self {
        Frame::Container { kind, blocks: Vec::new(), inlines: Vec::new() }
    }
}

struct Converter<'n> {
    stack: Vec<Frame>,
    /// Counters, not flags: `*a *b* c*` nests emphasis and the inner end must not clear it.
    marks: [u32; 3],
    code_index: usize,
    nested: &'n mut NestedCode,
    finished: bool,
}

impl Converter<'_> {
    fn depth(&self) -> usize {
        self.stack.iter().filter(|f| matches!(f, Frame::List { .. } | Frame::Container { kind: Container::Quote, .. })).count()
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(TagEnd::Strong) => self.marks[0] = self.marks[0].saturating_sub(1),
            Event::End(TagEnd::Emphasis) => self.marks[1] = self.marks[1].saturating_sub(1),
            Event::End(TagEnd::Strikethrough) => self.marks[2] = self.marks[2].saturating_sub(1),
            Event::End(_) => self.close(),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => self.inline(Inline::Code { text: reveal_controls(&t).into_owned() }),
            Event::Html(t) | Event::InlineHtml(t) => self.text(&t),
            Event::InlineMath(t) | Event::DisplayMath(t) | Event::FootnoteReference(t) => self.text(&t),
            Event::SoftBreak => self.inline(Inline::SoftBreak),
            Event::HardBreak => self.inline(Inline::HardBreak),
            Event::Rule => self.block(Block::Rule),
            Event::TaskListMarker(checked) => self.task(checked),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let deep = self.depth() >= MAX_DEPTH;
        let frame = match tag {
            Tag::Paragraph => Frame::Inline { kind: InlineKind::Paragraph, inlines: Vec::new() },
            Tag::Heading { level, .. } => Frame::Inline { kind: InlineKind::Heading(level as u8), inlines: Vec::new() },
            Tag::BlockQuote(_) if !deep => Frame::container(Container::Quote),
            Tag::List(start) if !deep => Frame::List { start, items: Vec::new() },
            Tag::Item if matches!(self.stack.last(), Some(Frame::List { .. })) => Frame::container(Container::Item { task: None }),
            Tag::CodeBlock(kind) => {
                let (info, origin) = match kind {
                    CodeBlockKind::Fenced(info) => (Some(info.into_string()), CodeOrigin::Fenced),
                    CodeBlockKind::Indented => (None, CodeOrigin::Indented),
                };
                Frame::Code { info, origin, text: String::new() }
            }
            Tag::HtmlBlock => Frame::Html(String::new()),
            Tag::Table(align) => Frame::Table {
                table: Table { align: align.into_iter().map(convert_align).collect(), header: Vec::new(), rows: Vec::new() },
                in_head: false,
            },
            Tag::TableHead => {
                if let Some(Frame::Table { in_head, .. }) = self.stack.last_mut() {
                    *in_head = true;
                }
                Frame::Skip
            }
            Tag::TableRow => {
                if let Some(Frame::Table { table, in_head }) = self.stack.last_mut() {
                    *in_head = false;
                    table.rows.push(Vec::new());
                }
                Frame::Skip
            }
            Tag::TableCell => Frame::Inline { kind: InlineKind::Cell, inlines: Vec::new() },
            Tag::Strong => return self.marks[0] += 1,
            Tag::Emphasis => return self.marks[1] += 1,
            Tag::Strikethrough => return self.marks[2] += 1,
            Tag::Link { link_type, dest_url, title, .. } => {
                let href = if link_type == LinkType::Email {
                    safe_href(&format!("mailto:{dest_url}")).map(str::to_owned)
                } else {
                    safe_href(&dest_url).map(str::to_owned)
                };
                let title = (!title.is_empty()).then(|| reveal_controls(&title).into_owned());
                Frame::Inline { kind: InlineKind::Link { href, title }, inlines: Vec::new() }
            }
            Tag::Image { dest_url, .. } => Frame::Image { url: reveal_controls(&dest_url).into_owned(), alt: String::new() },
            _ => Frame::Skip,
        };
        self.stack.push(frame);
    }

    fn close(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else { return };
        match frame {
            Frame::Container { kind, blocks, inlines } => {
                let blocks = with_loose(blocks, inlines);
                match kind {
                    Container::Root => {}
                    Container::Quote => self.block(Block::Quote { blocks }),
                    Container::Item { task } => {
                        if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                            items.push(ListItem { task, blocks });
                        }
                    }
                }
            }
            Frame::List { start, items } => self.block(Block::List(List { start, items })),
            Frame::Inline { kind, inlines } => match kind {
                InlineKind::Paragraph => self.block(Block::Paragraph { inlines }),
                InlineKind::Heading(level) => self.block(Block::Heading { level, inlines }),
                InlineKind::Cell => self.cell(inlines),
                InlineKind::Link { href: Some(href), title } => self.inline(Inline::Link { href, title, children: inlines }),
                InlineKind::Link { href: None, .. } => inlines.into_iter().for_each(|i| self.inline(i)),
            },
            Frame::Image { url, alt } => self.inline(Inline::Image { alt, url }),
            Frame::Code { info, origin, text } => {
                let block = self.nested.block(self.code_index, info.as_deref(), origin, &text, self.finished);
                self.code_index += 1;
                self.block(Block::Code(block));
            }
            Frame::Html(text) => self.block(html_as_text(&text)),
            Frame::Table { table, .. } => self.block(Block::Table(table)),
            Frame::Skip => {
                // A flattened list item ends: its text must not run into the next item's.
                if let Some(Frame::Container { blocks, inlines, .. }) = self.container_mut() {
                    flush_loose(blocks, inlines);
                }
            }
        }
    }

    fn container_mut(&mut self) -> Option<&mut Frame> {
        self.stack.iter_mut().rev().find(|f| matches!(f, Frame::Container { .. }))
    }

    fn block(&mut self, block: Block) {
        if let Some(Frame::Container { blocks, inlines, .. }) = self.container_mut() {
            flush_loose(blocks, inlines);
            blocks.push(block);
        }
    }

    fn cell(&mut self, inlines: Vec<Inline>) {
        if let Some(Frame::Table { table, in_head }) = self.stack.iter_mut().rev().find(|f| matches!(f, Frame::Table { .. })) {
            match table.rows.last_mut() {
                Some(row) if !*in_head => row.push(inlines),
                _ => table.header.push(inlines),
            }
        }
    }

    fn task(&mut self, checked: bool) {
        match self.stack.last_mut() {
            Some(Frame::Container { kind: Container::Item { task }, .. }) => *task = Some(checked),
            _ => self.text(if checked { "[x] " } else { "[ ] " }),
        }
    }

    fn text(&mut self, text: &str) {
        let text = reveal_controls(text);
        match self.stack.last_mut() {
            Some(Frame::Code { text: code, .. }) => return code.push_str(&text),
            Some(Frame::Html(html)) => return html.push_str(&text),
            Some(Frame::Image { alt, .. }) => return alt.push_str(&text),
            _ => {}
        }
        let [strong, emphasis, strike] = self.marks.map(|n| n > 0);
        self.inline(Inline::Text { text: text.into_owned(), marks: Marks { strong, emphasis, strike } });
    }

    fn inline(&mut self, inline: Inline) {
        let sink = self.stack.iter_mut().rev().find_map(|f| match f {
            Frame::Inline { inlines, .. } | Frame::Container { inlines, .. } => Some(inlines),
            _ => None,
        });
        if let Some(sink) = sink {
            push_inline(sink, inline);
        }
    }
}

/// Appends, merging adjacent text runs with the same marks (the parser splits text at every
/// character that might have started markup).
pub(crate) fn push_inline(sink: &mut Vec<Inline>, inline: Inline) {
    if let (Some(Inline::Text { text: last, marks: m1 }), Inline::Text { text, marks: m2 }) = (sink.last_mut(), &inline) {
        if m1 == m2 {
            last.push_str(text);
            return;
        }
    }
    sink.push(inline);
}

/// Text directly inside a tight list item (or a flattened container) becomes a paragraph.
fn flush_loose(blocks: &mut Vec<Block>, inlines: &mut Vec<Inline>) {
    if !inlines.is_empty() {
        blocks.push(Block::Paragraph { inlines: std::mem::take(inlines) });
    }
}

fn with_loose(mut blocks: Vec<Block>, mut inlines: Vec<Inline>) -> Vec<Block> {
    flush_loose(&mut blocks, &mut inlines);
    blocks
}

/// Raw HTML from the model is shown as the text it is, line by line.
fn html_as_text(html: &str) -> Block {
    let mut inlines = Vec::new();
    for (i, line) in lines_with_ends(html.trim_end_matches('\n')).enumerate() {
        if i > 0 {
            inlines.push(Inline::HardBreak);
        }
        let line = line.trim_end_matches('\n');
        if !line.is_empty() {
            inlines.push(Inline::Text { text: line.to_owned(), marks: Marks::default() });
        }
    }
    Block::Paragraph { inlines }
}

fn convert_align(a: Alignment) -> Align {
    match a {
        Alignment::None => Align::None,
        Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}
