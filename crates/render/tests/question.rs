//! A user's question is shown as typed, with its code highlighted as a reply's would be.

use desk_protocol::{Block, CodeOrigin, Inline};
use desk_render::{render, render_question, to_text};

fn paragraphs(doc: &desk_protocol::Document) -> Vec<String> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { inlines } => Some(
                inlines
                    .iter()
                    .map(|i| match i {
                        Inline::Text { text, .. } => text.clone(),
                        other => panic!("a question's prose has only plain text: {other:?}"),
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn prose_is_not_markdown_in_a_question() {
    let q = "# not a heading\nwhy does *args **kwargs fail?\n\n- not a list\n";
    let doc = render_question(q);
    assert_eq!(paragraphs(&doc), vec!["# not a heading\nwhy does *args **kwargs fail?", "- not a list"]);
    // The same text as a reply is markdown: the difference is deliberate.
    assert!(matches!(render(q).blocks[0], Block::Heading { .. }));
}

#[test]
fn fenced_and_unfenced_code_in_a_question_is_highlighted() {
    let q = "What does this do?\n\n```rust\nfn f(v: &[i32]) -> i32 { v.iter().sum() }\n```\nand this:\n\ndef area(w, h):\n    return w * h\n\nthanks";
    let doc = render_question(q);
    let codes: Vec<_> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Code(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(codes.len(), 2, "{doc:#?}");
    assert_eq!((codes[0].language.as_deref(), codes[0].origin), (Some("Rust"), CodeOrigin::Fenced));
    assert_eq!(codes[0].source, "fn f(v: &[i32]) -> i32 { v.iter().sum() }\n");
    assert_eq!((codes[1].language.as_deref(), codes[1].origin), (Some("Python"), CodeOrigin::Unfenced));
    assert!(codes[1].source.starts_with("def area(w, h):\n    return w * h"));
    let classed = codes[0].lines[0].nodes.iter().any(|n| matches!(n, desk_protocol::CodeNode::Scope { .. }));
    assert!(classed, "syntect scopes in the question's code");
    assert_eq!(paragraphs(&doc).first().map(String::as_str), Some("What does this do?"));
    assert_eq!(paragraphs(&doc).last().map(String::as_str), Some("thanks"));
}

#[test]
fn a_questions_text_survives_rendering_whole() {
    // Every character typed is somewhere in the document: nothing is eaten as syntax.
    let q = "x < y && z > 0 <b>bold?</b> [link](http://a) `tick`\n\n```\nraw\n```\n";
    let text = to_text(&render_question(q));
    for part in ["x < y && z > 0 <b>bold?</b> [link](http://a) `tick`", "raw"] {
        assert!(text.contains(part), "{part:?} missing from {text:?}");
    }
}
