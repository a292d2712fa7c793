//! Static HTML for a document (HTML export, `desk render --html`).
//!
//! Every string is escaped and every link target re-checked here rather than trusted from the
//! document, because a document may come back from storage or from another process.

use std::fmt::Write;

use desk_protocol::{Align, Block, CodeBlock, CodeNode, Document, Inline, List, Marks, Table};

use crate::highlight::CLASS_PREFIX;
use crate::markdown::MAX_DEPTH;
use crate::sanitize::safe_href;

/// The document as an HTML fragment: no scripts, no styles, no event handlers, links only to
/// http, https and mailto.
pub fn to_html(doc: &Document) -> String {
    let mut out = String::new();
    blocks(&mut out, &doc.blocks, 0);
    out
}

/// A complete page with the light and dark highlight themes inlined (the dark one applies when
/// the reader's system prefers it).
pub fn to_html_page(doc: &Document, title: &str, light_css: &str, dark_css: &str) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    let _ = writeln!(out, "<title>{}</title>", Esc(title));
    out.push_str("<style>\nbody { max-width: 50rem; margin: 2rem auto; font-family: sans-serif; line-height: 1.5; }\n");
    out.push_str("pre.hl-code { padding: 0.75rem; overflow-x: auto; }\n");
    out.push_str(&style_safe(light_css));
    out.push_str("\n@media (prefers-color-scheme: dark) {\nbody { background: #1e1e1e; color: #ddd; }\n");
    out.push_str(&style_safe(dark_css));
    out.push_str("\n}\n</style>\n</head>\n<body>\n");
    out.push_str(&to_html(doc));
    out.push_str("</body>\n</html>\n");
    out
}

/// Theme CSS is generated, not model text, but must still never close the style element.
fn style_safe(css: &str) -> String {
    css.replace("</", "<\\/")
}

struct Esc<'a>(&'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

fn blocks(out: &mut String, list: &[Block], depth: usize) {
    for block in list {
        self::block(out, block, depth);
    }
}

fn block(out: &mut String, block: &Block, depth: usize) {
    // A document from elsewhere may nest without bound; the renderer never exceeds this.
    if depth > MAX_DEPTH * 2 + 8 {
        return;
    }
    match block {
        Block::Paragraph { inlines: i } => {
            out.push_str("<p>");
            inlines(out, i);
            out.push_str("</p>\n");
        }
        Block::Heading { level, inlines: i } => {
            let level = (*level).clamp(1, 6);
            let _ = write!(out, "<h{level}>");
            inlines(out, i);
            let _ = writeln!(out, "</h{level}>");
        }
        Block::Code(code) => code_block(out, code),
        Block::Quote { blocks: b } => {
            out.push_str("<blockquote>\n");
            blocks(out, b, depth + 1);
            out.push_str("</blockquote>\n");
        }
        Block::List(l) => list(out, l, depth),
        Block::Table(t) => table(out, t),
        Block::Rule => out.push_str("<hr>\n"),
    }
}

fn list(out: &mut String, l: &List, depth: usize) {
    match l.start {
        Some(1) => out.push_str("<ol>\n"),
        Some(n) => {
            let _ = writeln!(out, "<ol start=\"{n}\">");
        }
        None => out.push_str("<ul>\n"),
    }
    for item in &l.items {
        out.push_str("<li>");
        match item.task {
            Some(true) => out.push_str("<input type=\"checkbox\" checked disabled> "),
            Some(false) => out.push_str("<input type=\"checkbox\" disabled> "),
            None => {}
        }
        blocks(out, &item.blocks, depth + 1);
        out.push_str("</li>\n");
    }
    out.push_str(if l.start.is_some() { "</ol>\n" } else { "</ul>\n" });
}

fn table(out: &mut String, t: &Table) {
    out.push_str("<table>\n<thead><tr>");
    for (i, cell) in t.header.iter().enumerate() {
        table_cell(out, "th", t.align.get(i), cell);
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            table_cell(out, "td", t.align.get(i), cell);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn table_cell(out: &mut String, tag: &str, align: Option<&Align>, cell: &[Inline]) {
    let style = match align {
        Some(Align::Left) => " style=\"text-align: left\"",
        Some(Align::Center) => " style=\"text-align: center\"",
        Some(Align::Right) => " style=\"text-align: right\"",
        _ => "",
    };
    let _ = write!(out, "<{tag}{style}>");
    inlines(out, cell);
    let _ = write!(out, "</{tag}>");
}

fn code_block(out: &mut String, code: &CodeBlock) {
    match &code.language {
        Some(lang) => {
            let _ = write!(out, "<pre class=\"{CLASS_PREFIX}code\" data-language=\"{}\"><code>", Esc(lang));
        }
        None => {
            let _ = write!(out, "<pre class=\"{CLASS_PREFIX}code\"><code>");
        }
    }
    for (i, line) in code.lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        code_nodes(out, &line.nodes, 0);
    }
    out.push_str("</code></pre>\n");
}

fn code_nodes(out: &mut String, nodes: &[CodeNode], depth: usize) {
    for node in nodes {
        match node {
            CodeNode::Text(t) => {
                let _ = write!(out, "{}", Esc(t));
            }
            CodeNode::Scope { class, children } if depth < 64 => {
                let _ = write!(out, "<span class=\"{}\">", Esc(class));
                code_nodes(out, children, depth + 1);
                out.push_str("</span>");
            }
            CodeNode::Scope { children, .. } => code_nodes(out, children, depth),
        }
    }
}

fn inlines(out: &mut String, list: &[Inline]) {
    for inline in list {
        match inline {
            Inline::Text { text, marks } => marked(out, *marks, text),
            Inline::Code { text } => {
                let _ = write!(out, "<code>{}</code>", Esc(text));
            }
            Inline::Link { href, title, children } => match safe_href(href) {
                Some(href) => {
                    let _ = write!(out, "<a href=\"{}\" rel=\"noopener noreferrer nofollow\"", Esc(href));
                    if let Some(title) = title {
                        let _ = write!(out, " title=\"{}\"", Esc(title));
                    }
                    out.push('>');
                    // Links never nest in markdown; a forged document gets its inner links as text.
                    inlines(out, &unlinked(children));
                    out.push_str("</a>");
                }
                None => inlines(out, &unlinked(children)),
            },
            Inline::Image { alt, url } => {
                let _ = write!(out, "<span class=\"image\">[image: {}] ({})</span>", Esc(alt), Esc(url));
            }
            Inline::SoftBreak => out.push('\n'),
            Inline::HardBreak => out.push_str("<br>\n"),
        }
    }
}

fn unlinked(children: &[Inline]) -> Vec<Inline> {
    children
        .iter()
        .map(|c| match c {
            Inline::Link { children, .. } => {
                let text = children.iter().map(plain).collect::<String>();
                Inline::Text { text, marks: Marks::default() }
            }
            other => other.clone(),
        })
        .collect()
}

fn plain(inline: &Inline) -> String {
    match inline {
        Inline::Text { text, .. } | Inline::Code { text } => text.clone(),
        Inline::Link { children, .. } => children.iter().map(plain).collect(),
        Inline::Image { alt, .. } => alt.clone(),
        Inline::SoftBreak | Inline::HardBreak => " ".into(),
    }
}

fn marked(out: &mut String, marks: Marks, text: &str) {
    let tags = [(marks.strong, "strong"), (marks.emphasis, "em"), (marks.strike, "del")];
    for (on, tag) in tags {
        if on {
            let _ = write!(out, "<{tag}>");
        }
    }
    let _ = write!(out, "{}", Esc(text));
    for (on, tag) in tags.iter().rev() {
        if *on {
            let _ = write!(out, "</{tag}>");
        }
    }
}
