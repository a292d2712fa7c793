//! Hostile model output: nothing becomes markup, no dangerous link survives, nothing panics,
//! nesting stays bounded.

use std::time::{Duration, Instant};

use desk_protocol::{Block, CodeNode, Document, Inline};
use desk_render::{render, to_html, StreamRenderer, MAX_DEPTH};

const SCHEMES: &[&str] = &["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)"];

fn hostile_inputs() -> Vec<(&'static str, String)> {
    let mut inputs = vec![
        ("script", "<script>alert(1)</script>\n\nText <script>alert(2)</script> inline.".to_string()),
        ("img", "<img src=x onerror=alert(1)>\n\nInline <img src=x onerror=alert(1)> here.".to_string()),
        ("iframe", "<iframe src=\"javascript:alert(1)\"></iframe>\n\n<svg onload=alert(1)>".to_string()),
        ("html in fence", "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```".to_string()),
        ("html in inline code", "Use `<script>alert(1)</script>` and `<img src=x onerror=alert(1)>`.".to_string()),
        ("html block spanning blanks", "<div>\n\n<script>\n\nalert(1)\n\n</script>\n\n</div>".to_string()),
        ("html comment", "<!-- <script>alert(1)</script> -->\n<?php evil() ?>\n<![CDATA[<script>]]>".to_string()),
        ("entities", "&lt;script&gt; &#60;script&#62; <a href=\"&#106;avascript:alert(1)\">x</a>".to_string()),
        ("bidi", "Access check:\n\n```c\nif (isAdmin) { /* \u{202E} } \u{2066} if (true) \u{2069} */\n```\n\nText \u{202E}evil\u{202C} and \u{2067}more.".to_string()),
        ("tag injection", "[PYTHON]\n<script>alert(1)</script>\n[/PYTHON]".to_string()),
        ("unfenced", "Here:\n#include <script>alert(1)</script>\nint main() { return 0; }".to_string()),
    ];
    for scheme in SCHEMES {
        let forms = format!(
            "[inline]({scheme}) [titled]({scheme} \"t\") [ref][r] [collapsed][] [r]\n\n\
             [r]: {scheme}\n[collapsed]: {scheme}\n\n\
             <{scheme}> ![img]({scheme}) [![nested](https://x.example/i.png)]({scheme})\n\n\
             <a href=\"{scheme}\">html link</a> [spaced](<{scheme}>) [encoded](&#106;avascript:alert(1))\n\n\
             [tab](java\tscript:alert(1)) [nl](<java\nscript:alert(1)>)"
        );
        inputs.push((scheme, forms));
    }
    inputs
}

/// Every link in the document has an allowed scheme; returns how many there were.
fn check_links(doc: &Document) -> usize {
    fn inlines(list: &[Inline], n: &mut usize) {
        for i in list {
            match i {
                Inline::Link { href, children, .. } => {
                    let lower = href.to_ascii_lowercase();
                    assert!(
                        lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:"),
                        "{href}"
                    );
                    *n += 1;
                    inlines(children, n);
                }
                Inline::Text { .. } | Inline::Code { .. } | Inline::Image { .. } | Inline::SoftBreak | Inline::HardBreak => {}
            }
        }
    }
    fn blocks(list: &[Block], n: &mut usize, depth: usize) {
        assert!(depth <= MAX_DEPTH + 1, "nesting depth {depth}");
        for b in list {
            match b {
                Block::Paragraph { inlines: i } | Block::Heading { inlines: i, .. } => inlines(i, n),
                Block::Quote { blocks: bs } => blocks(bs, n, depth + 1),
                Block::List(l) => l.items.iter().for_each(|it| blocks(&it.blocks, n, depth + 1)),
                Block::Table(t) => t.header.iter().chain(t.rows.iter().flatten()).for_each(|c| inlines(c, n)),
                Block::Code(c) => {
                    for line in &c.lines {
                        for node in &line.nodes {
                            check_code_node(node);
                        }
                    }
                }
                Block::Rule => {}
            }
        }
    }
    let mut n = 0;
    blocks(&doc.blocks, &mut n, 0);
    n
}

fn check_code_node(node: &CodeNode) {
    if let CodeNode::Scope { class, children } = node {
        assert!(class.chars().all(|c| c.is_ascii_alphanumeric() || " -_+#.".contains(c)), "class {class:?}");
        children.iter().for_each(check_code_node);
    }
}

/// Every tag in the HTML is one the serialiser writes, with only its own attributes, so
/// nothing the model wrote became markup; every link target is allowed.
fn check_html(html: &str) {
    const TAGS: &[&str] = &[
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "code", "span", "blockquote", "ol", "ul", "li", "input",
        "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "strong", "em", "del", "a",
    ];
    const ATTRS: &[&str] = &["class", "href", "rel", "title", "start", "data-language", "style", "type", "checked", "disabled"];
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let mut parts = tag.splitn(2, ' ');
        let name = parts.next().unwrap_or("");
        assert!(TAGS.contains(&name), "tag <{tag}> in:\n{html}");
        let mut attrs = parts.next().unwrap_or("");
        while let Some(eq) = attrs.find("=\"") {
            let key = attrs[..eq].trim().rsplit(' ').next().unwrap_or("");
            assert!(ATTRS.contains(&key), "attribute {key} in <{tag}>");
            let rest = &attrs[eq + 2..];
            let end = rest.find('"').expect("closed attribute");
            let value = &rest[..end];
            if key == "href" {
                let v = value.to_ascii_lowercase();
                assert!(v.starts_with("http://") || v.starts_with("https://") || v.starts_with("mailto:"), "href {value}");
            }
            if key == "style" {
                assert!(value.starts_with("text-align: "), "style {value}");
            }
            attrs = &rest[end + 1..];
        }
    }
    assert!(!html.contains('\u{202E}') && !html.contains('\u{2066}'), "bidi control survived");
}

#[test]
fn hostile_corpus_stays_inert() {
    for (name, text) in hostile_inputs() {
        let doc = render(&text);
        check_links(&doc);
        let html = to_html(&doc);
        check_html(&html);
        // Only the copy source keeps direction controls; nothing displayed does.
        let mut shown = doc.clone();
        shown.blocks.iter_mut().for_each(|b| if let Block::Code(c) = b { c.source.clear() });
        let json = serde_json::to_string(&shown).expect("json");
        assert!(!json.contains('\u{202E}') && !json.contains('\u{2066}'), "{name}: bidi control displayed");
        // Streaming the same hostile text one char at a time gives the same document.
        let mut r = StreamRenderer::new();
        for (i, c) in text.char_indices() {
            r.push(&text[i..i + c.len_utf8()]);
        }
        assert_eq!(r.finish(), doc, "{name}");
    }
}

#[test]
fn safe_links_do_survive() {
    let doc = render("[a](https://example.com) <http://x.example> <me@example.com> [m](mailto:me@example.com)");
    assert_eq!(check_links(&doc), 4);
    let html = to_html(&doc);
    assert!(html.contains("<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">a</a>"), "{html}");
}

#[test]
fn images_are_text_not_loads() {
    let doc = render("![a cat](https://x.example/cat.png)");
    let Block::Paragraph { inlines } = &doc.blocks[0] else { panic!() };
    assert_eq!(inlines[0], Inline::Image { alt: "a cat".into(), url: "https://x.example/cat.png".into() });
    assert!(!to_html(&doc).contains("<img"));
}

#[test]
fn raw_html_is_text() {
    let doc = render("<b>bold?</b>\n\nand <i>inline</i>");
    let html = to_html(&doc);
    assert!(html.contains("&lt;b&gt;bold?&lt;/b&gt;"), "{html}");
    assert!(html.contains("and &lt;i&gt;inline&lt;/i&gt;"), "{html}");
}

#[test]
fn bidi_controls_are_shown_in_code_but_copied_exactly() {
    let src = "x = 1 # \u{202E}evil\n";
    let doc = render(&format!("```py\n{src}```\n"));
    let Block::Code(code) = &doc.blocks[0] else { panic!() };
    assert_eq!(code.source, src);
    assert!(format!("{:?}", code.lines).contains("[U+202E]"));
}

fn timed<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(start.elapsed() < limit, "took {:?}", start.elapsed());
    out
}

#[test]
fn one_megabyte_single_line() {
    let line = "word <b>x</b> `c` [l](javascript:x) ".repeat(1 << 20 >> 5);
    let doc = timed(Duration::from_secs(10), || render(&line));
    check_links(&doc);
    check_html(&to_html(&doc));
    let code = format!("```rust\nlet s = \"{}\";\n```\n", "a".repeat(1 << 20));
    let doc = timed(Duration::from_secs(10), || render(&code));
    let Block::Code(c) = &doc.blocks[0] else { panic!() };
    assert_eq!(c.source.len(), code.len() - 12);
}

fn depth(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Quote { blocks } => 1 + depth(blocks),
            Block::List(l) => 1 + l.items.iter().map(|i| depth(&i.blocks)).max().unwrap_or(0),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn ten_thousand_deep_nesting_is_bounded() {
    let quotes = format!("{} deep quote", ">".repeat(10_000));
    let spaced_quotes = format!("{} deep", "> ".repeat(10_000));
    let bullets = format!("{} deep list", "- ".repeat(10_000));
    let numbered = format!("{} deep list", "1. ".repeat(10_000));
    let indented: String = (0..10_000).map(|i| format!("{}- item {i}\n", "  ".repeat(i))).collect();
    let mixed = format!("{} deep mix", "> - ".repeat(5_000));
    for (name, text) in [("quotes", quotes), ("spaced", spaced_quotes), ("bullets", bullets), ("numbered", numbered), ("indented", indented), ("mixed", mixed)] {
        let doc = timed(Duration::from_secs(20), || render(&text));
        let d = depth(&doc.blocks);
        assert!(d <= MAX_DEPTH, "{name}: depth {d}");
        // The deep text is flattened, not lost.
        let html = to_html(&doc);
        assert!(html.contains("deep") || name == "indented", "{name}: content lost");
        serde_json::to_string(&doc).expect("serialises without overflowing the stack");
    }
}
