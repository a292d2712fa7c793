//! A plain-text view of a document (`desk render FILE` without flags): no markup, no colours.

use desk_protocol::{Block, CodeNode, Document, Inline};

pub fn to_text(doc: &Document) -> String {
    let mut out = String::new();
    blocks(&mut out, &doc.blocks, "");
    out
}

fn blocks(out: &mut String, list: &[Block], indent: &str) {
    for (i, block) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(indent.trim_end());
            out.push('\n');
        }
        self::block(out, block, indent);
    }
}

fn block(out: &mut String, block: &Block, indent: &str) {
    match block {
        Block::Paragraph { inlines: i } => line(out, indent, &inlines(i)),
        Block::Heading { level, inlines: i } => {
            line(out, indent, &format!("{} {}", "#".repeat(usize::from(*level)), inlines(i)))
        }
        Block::Code(code) => {
            line(out, indent, &format!("```{}", code.language.as_deref().unwrap_or("")));
            for l in &code.lines {
                line(out, indent, &code_text(&l.nodes));
            }
            line(out, indent, "```");
        }
        Block::Quote { blocks: b } => blocks(out, b, &format!("{indent}> ")),
        Block::List(list) => {
            for (n, item) in list.items.iter().enumerate() {
                let marker = match list.start {
                    Some(start) => format!("{}. ", start.saturating_add(n as u64)),
                    None => "- ".to_string(),
                };
                let task = match item.task {
                    Some(true) => "[x] ",
                    Some(false) => "[ ] ",
                    None => "",
                };
                out.push_str(indent);
                out.push_str(&marker);
                out.push_str(task);
                let mut inner = String::new();
                let child_indent = format!("{indent}{}", " ".repeat(marker.len()));
                blocks(&mut inner, &item.blocks, &child_indent);
                // The first line already has its indent and marker.
                out.push_str(inner.strip_prefix(child_indent.as_str()).unwrap_or(&inner));
                if item.blocks.is_empty() {
                    out.push('\n');
                }
            }
        }
        Block::Table(t) => {
            line(out, indent, &t.header.iter().map(|c| inlines(c)).collect::<Vec<_>>().join(" | "));
            for row in &t.rows {
                line(out, indent, &row.iter().map(|c| inlines(c)).collect::<Vec<_>>().join(" | "));
            }
        }
        Block::Rule => line(out, indent, "---"),
    }
}

fn line(out: &mut String, indent: &str, text: &str) {
    for l in text.split('\n') {
        out.push_str(indent);
        out.push_str(l);
        out.push('\n');
    }
}

fn inlines(list: &[Inline]) -> String {
    let mut s = String::new();
    for i in list {
        match i {
            Inline::Text { text, .. } => s.push_str(text),
            Inline::Code { text } => {
                s.push('`');
                s.push_str(text);
                s.push('`');
            }
            Inline::Link { href, children, .. } => {
                s.push_str(&inlines(children));
                s.push_str(&format!(" <{href}>"));
            }
            Inline::Image { alt, url } => s.push_str(&format!("[image: {alt}] ({url})")),
            Inline::SoftBreak => s.push(' '),
            Inline::HardBreak => s.push('\n'),
        }
    }
    s
}

fn code_text(nodes: &[CodeNode]) -> String {
    let mut s = String::new();
    for n in nodes {
        match n {
            CodeNode::Text(t) => s.push_str(t),
            CodeNode::Scope { children, .. } => s.push_str(&code_text(children)),
        }
    }
    s
}
