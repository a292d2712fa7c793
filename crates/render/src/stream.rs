//! The streaming renderer: text deltas in, a document whose closed blocks never change out.

use std::ops::Range;

use desk_protocol::{Block, CodeOrigin, Document, DocumentPatch};
use syntect::parsing::SyntaxReference;

use crate::highlight::{lines_with_ends, CodeBuilder};
use crate::markdown::{self, NestedCode};
use crate::segment::{self, is_blank, prev_of, CodeKind, Opener, Prev, Step};

/// Renders a reply as it streams in.
///
/// Complete lines are processed once: each closes or extends the open segment, and a closed
/// segment is rendered once and never again. After every delta the unfinished tail is shown
/// as a one-shot render of the text so far would show it, so at every point
/// `document()` equals [`render`](crate::render) of [`text`](Self::text), except that the
/// unfinished last line of a code block is shown unhighlighted until its line ends; and
/// [`finish`](Self::finish) returns exactly `render(text)`.
pub struct StreamRenderer {
    text: String,
    state: State,
}

struct State {
    /// End of the last complete line processed.
    scanned: usize,
    blocks: Vec<Block>,
    /// `blocks[..closed]` are final.
    closed: usize,
    open: Open,
    /// Lowest block index changed since the UI last asked.
    changed_from: usize,
    nested: NestedCode,
    /// The markdown range that `blocks[closed..]` is exactly the render of, if any, so the
    /// segment is not rendered again when it closes.
    tail_render: Option<(usize, usize)>,
    prose: Prose,
}

/// How the text between code blocks is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prose {
    /// A reply: CommonMark.
    Markdown,
    /// A question as the user typed it: `*args` and `# comment` are not formatting.
    Plain,
}

fn prose_blocks(prose: Prose, text: &str, nested: &mut NestedCode, finished: bool) -> Vec<Block> {
    match prose {
        Prose::Markdown => markdown::render(text, nested, finished),
        Prose::Plain => plain_paragraphs(text),
    }
}

/// Paragraphs split at blank lines, each one text run with its line breaks
/// kept (the UI shows it with `white-space: pre-wrap`).
fn plain_paragraphs(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para = String::new();
    let mut flush = |para: &mut String| {
        let body = para.trim_end_matches(['\n', '\r']);
        if !body.trim().is_empty() {
            let inline = desk_protocol::Inline::Text { text: body.to_owned(), marks: desk_protocol::Marks::default() };
            blocks.push(Block::Paragraph { inlines: vec![inline] });
        }
        para.clear();
    };
    for line in text.split_inclusive('\n') {
        if is_blank(line) {
            flush(&mut para);
        } else {
            para.push_str(line);
        }
    }
    flush(&mut para);
    blocks
}

enum Open {
    Markdown { start: usize, prev: Prev, has_content: bool },
    /// The block being built is `blocks[closed]`.
    Code { kind: CodeKind, builder: CodeBuilder, held_from: Option<usize> },
}

impl Default for StreamRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamRenderer {
    pub fn new() -> Self {
        Self::with_prose(Prose::Markdown)
    }

    /// For a user's question: code is detected and highlighted as in a reply,
    /// the rest is shown exactly as typed.
    pub fn for_question() -> Self {
        Self::with_prose(Prose::Plain)
    }

    fn with_prose(prose: Prose) -> Self {
        let state = State {
            scanned: 0,
            blocks: Vec::new(),
            closed: 0,
            open: Open::Markdown { start: 0, prev: Prev::Blank, has_content: false },
            changed_from: 0,
            nested: NestedCode::default(),
            tail_render: None,
            prose,
        };
        Self { text: String::new(), state }
    }

    /// Adds the next piece of the reply.
    pub fn push(&mut self, delta: &str) {
        let searched = self.text.len();
        self.text.push_str(delta);
        // Only the new text can hold a line end: earlier text past `scanned` had none.
        let mut from = searched.max(self.state.scanned);
        while let Some(nl) = self.text[from..].find('\n') {
            let end = from + nl + 1;
            let start = self.state.scanned;
            self.state.scanned = end;
            self.state.commit_line(&self.text, start, end);
            from = end;
        }
        self.state.show_tail(&self.text, false);
    }

    /// Everything received so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn blocks(&self) -> &[Block] {
        &self.state.blocks
    }

    /// Blocks before this index will not change again.
    pub fn closed_blocks(&self) -> usize {
        self.state.closed
    }

    /// Indices of the blocks changed since the last call (or since the start); blocks past
    /// the current end were removed. Only ever a suffix of the document.
    pub fn take_changed(&mut self) -> Range<usize> {
        let len = self.state.blocks.len();
        let from = self.state.changed_from.min(len);
        self.state.changed_from = len;
        from..len
    }

    /// The changed blocks, ready to send to the UI.
    pub fn take_patch(&mut self) -> DocumentPatch {
        let changed = self.take_changed();
        DocumentPatch { from: changed.start, blocks: self.state.blocks[changed].to_vec() }
    }

    pub fn document(&self) -> Document {
        Document { blocks: self.state.blocks.clone() }
    }

    /// The reply ended: the document as it stands is final.
    pub fn finish(mut self) -> Document {
        self.state.show_tail(&self.text, true);
        Document { blocks: self.state.blocks }
    }
}

impl State {
    fn touch(&mut self, index: usize) {
        self.changed_from = self.changed_from.min(index);
    }

    /// Replaces `blocks[from..]`, marking only blocks that really differ as changed.
    fn replace_tail(&mut self, from: usize, new: Vec<Block>) {
        let old = self.blocks.get(from..).unwrap_or(&[]);
        let same = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        if same < old.len().max(new.len()) {
            self.touch(from + same);
        }
        self.blocks.truncate(from);
        self.blocks.extend(new);
    }

    fn commit_line(&mut self, text: &str, start: usize, end: usize) {
        let line = &text[start..end];
        match &mut self.open {
            Open::Markdown { start: seg, prev, has_content } => match segment::markdown_step(line, *prev, *has_content) {
                Step::Open(opener) => {
                    let seg = *seg;
                    self.close_markdown(text, seg, start);
                    self.open_with(opener, text, start, end);
                }
                _ => {
                    *prev = prev_of(line);
                    *has_content |= !is_blank(line);
                }
            },
            Open::Code { kind, held_from, .. } => match segment::code_step(line, *kind, held_from.is_some()) {
                Step::Continue => {
                    let from = held_from.take().unwrap_or(start);
                    self.commit_code(&text[from..end]);
                }
                Step::Hold => {
                    held_from.get_or_insert(start);
                }
                Step::Close { code } => {
                    self.commit_code(code);
                    self.close_code();
                    self.open = Open::Markdown { start: end, prev: Prev::Blank, has_content: false };
                }
                Step::Open(opener) => {
                    self.close_code();
                    self.open_with(opener, text, start, end);
                }
            },
        }
    }

    fn commit_code(&mut self, lines: &str) {
        let closed = self.closed;
        let (Open::Code { builder, .. }, Some(Block::Code(block))) = (&mut self.open, self.blocks.get_mut(closed)) else {
            return;
        };
        for line in lines_with_ends(lines) {
            builder.commit(block, line);
        }
        self.touch(closed);
    }

    fn close_code(&mut self) {
        let closed = self.closed;
        if let (Open::Code { builder, .. }, Some(Block::Code(block))) = (&mut self.open, self.blocks.get_mut(closed)) {
            builder.set_tail(block, "", true);
        }
        self.replace_tail(closed + 1, Vec::new());
        self.touch(closed);
        self.closed = self.blocks.len();
    }

    fn close_markdown(&mut self, text: &str, start: usize, end: usize) {
        if self.tail_render != Some((start, end)) {
            let blocks = prose_blocks(self.prose, &text[start..end], &mut self.nested, true);
            self.replace_tail(self.closed, blocks);
        }
        self.closed = self.blocks.len();
        self.tail_render = None;
        self.nested = NestedCode::default();
    }

    /// A committed line opens a new segment.
    fn open_with(&mut self, opener: Opener<'_>, text: &str, start: usize, end: usize) {
        let line = &text[start..end];
        self.tail_render = None;
        match opener {
            Opener::Markdown => {
                self.open = Open::Markdown { start, prev: prev_of(line), has_content: !is_blank(line) };
            }
            Opener::Fence { ch, len, syntax, label } => {
                self.open_code(CodeKind::Fence { ch, len }, syntax, true, CodeOrigin::Fenced);
                if let Some(Block::Code(block)) = self.blocks.get_mut(self.closed) {
                    block.label = label.map(str::to_owned);
                }
            }
            Opener::Tag { close, syntax, rest } => {
                self.open_code(CodeKind::Tag { close }, syntax, false, CodeOrigin::Tagged);
                if is_blank(rest) {
                    return;
                }
                if let Step::Close { code } = segment::code_step(rest, CodeKind::Tag { close }, false) {
                    self.commit_code(code);
                    self.close_code();
                    self.open = Open::Markdown { start: end, prev: Prev::Blank, has_content: false };
                } else {
                    self.commit_code(rest);
                }
            }
            Opener::Unfenced { syntax } => {
                self.open_code(CodeKind::Unfenced, syntax, false, CodeOrigin::Unfenced);
                self.commit_code(line);
            }
        }
    }

    fn open_code(&mut self, kind: CodeKind, syntax: Option<&'static SyntaxReference>, guess: bool, origin: CodeOrigin) {
        let (builder, block) = CodeBuilder::new(syntax, guess, origin);
        let closed = self.closed;
        self.replace_tail(closed, vec![Block::Code(block)]);
        self.touch(closed);
        self.open = Open::Code { kind, builder, held_from: None };
    }

    /// Shows the open segment and the unfinished last line as a render ending here would.
    fn show_tail(&mut self, text: &str, finished: bool) {
        let partial = &text[self.scanned..];
        match &mut self.open {
            Open::Markdown { start, prev, has_content } => {
                let start = *start;
                let step = if partial.is_empty() { Step::Continue } else { segment::markdown_step(partial, *prev, *has_content) };
                if let Step::Open(opener) = step {
                    let mut blocks = prose_blocks(self.prose, &text[start..self.scanned], &mut self.nested, true);
                    blocks.extend(tentative(self.prose, opener, partial, finished));
                    self.replace_tail(self.closed, blocks);
                    self.tail_render = None;
                } else {
                    let blocks = prose_blocks(self.prose, &text[start..], &mut self.nested, finished);
                    self.replace_tail(self.closed, blocks);
                    self.tail_render = Some((start, text.len()));
                }
            }
            Open::Code { kind, builder, held_from } => {
                let step = if partial.is_empty() { Step::Hold } else { segment::code_step(partial, *kind, held_from.is_some()) };
                let (tail, extra) = match step {
                    Step::Hold => ("", Vec::new()),
                    Step::Continue => (&text[held_from.unwrap_or(self.scanned)..], Vec::new()),
                    Step::Close { code } => (code, Vec::new()),
                    Step::Open(opener) => ("", tentative(self.prose, opener, partial, finished)),
                };
                let closed = self.closed;
                if let Some(Block::Code(block)) = self.blocks.get_mut(closed) {
                    builder.set_tail(block, tail, finished);
                }
                self.touch(closed);
                self.replace_tail(closed + 1, extra);
            }
        }
    }
}

/// The blocks an unfinished last line opens, built as `open_with` would build them.
fn tentative(prose: Prose, opener: Opener<'_>, line: &str, finished: bool) -> Vec<Block> {
    let code = |syntax, guess, origin| CodeBuilder::new(syntax, guess, origin);
    match opener {
        Opener::Markdown => prose_blocks(prose, line, &mut NestedCode::default(), finished),
        Opener::Fence { syntax, label, .. } => {
            let mut block = code(syntax, true, CodeOrigin::Fenced).1;
            block.label = label.map(str::to_owned);
            vec![Block::Code(block)]
        }
        Opener::Tag { close, syntax, rest } => {
            let (mut builder, mut block) = code(syntax, false, CodeOrigin::Tagged);
            if !is_blank(rest) {
                let shown = match segment::code_step(rest, CodeKind::Tag { close }, false) {
                    Step::Close { code } => code,
                    _ => rest,
                };
                builder.set_tail(&mut block, shown, finished);
            }
            vec![Block::Code(block)]
        }
        Opener::Unfenced { syntax } => {
            let (mut builder, mut block) = code(syntax, false, CodeOrigin::Unfenced);
            builder.set_tail(&mut block, line, finished);
            vec![Block::Code(block)]
        }
    }
}
