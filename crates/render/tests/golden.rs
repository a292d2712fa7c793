//! Golden snapshots of the typed document for realistic Code Llama answers.

mod common;

use desk_protocol::{Block, CodeOrigin, Document};

#[test]
fn golden_documents() {
    for (name, text) in common::fixtures() {
        let doc = desk_render::render(&text);
        insta::assert_json_snapshot!(name.as_str(), doc);
    }
}

fn code_blocks(doc: &Document) -> Vec<&desk_protocol::CodeBlock> {
    fn walk<'a>(blocks: &'a [Block], out: &mut Vec<&'a desk_protocol::CodeBlock>) {
        for b in blocks {
            match b {
                Block::Code(c) => out.push(c),
                Block::Quote { blocks } => walk(blocks, out),
                Block::List(l) => l.items.iter().for_each(|i| walk(&i.blocks, out)),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&doc.blocks, &mut out);
    out
}

#[test]
fn copy_source_is_byte_exact() {
    let text = "Try:\n\n```python\nx = \"<a href='&amp;'>\"  \t\r\nprint(x)\n```\n";
    let doc = desk_render::render(text);
    let code = code_blocks(&doc);
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].source, "x = \"<a href='&amp;'>\"  \t\r\nprint(x)\n");
    assert_eq!(code[0].language.as_deref(), Some("Python"));
}

#[test]
fn languages_of_the_golden_inputs() {
    let langs = |name: &str| -> Vec<(Option<String>, CodeOrigin)> {
        let (_, text) = common::fixtures().into_iter().find(|(n, _)| n == name).expect("fixture");
        code_blocks(&desk_render::render(&text)).iter().map(|c| (c.language.clone(), c.origin)).collect()
    };
    let py = || Some("Python".to_string());
    assert_eq!(langs("unfenced_python"), [(py(), CodeOrigin::Unfenced), (py(), CodeOrigin::Unfenced)]);
    assert_eq!(langs("python_tags"), [(py(), CodeOrigin::Tagged), (py(), CodeOrigin::Tagged), (py(), CodeOrigin::Tagged)]);
    assert_eq!(langs("unfenced_cpp"), [(Some("C++".into()), CodeOrigin::Unfenced)]);
    let many: Vec<_> = langs("many_languages").into_iter().map(|(l, _)| l).collect();
    let expected = ["TypeScript", "TOML", "Dockerfile", "Kotlin", "Zig"].map(|s| Some(s.to_string()));
    assert_eq!(&many[..5], &expected);
    assert_eq!(many[5], None, "unknown language is plain text");
    assert_eq!(many[7], None, "no language and no shebang is plain text");
    let bash: Vec<_> = langs("bash_setup").into_iter().map(|(l, _)| l).collect();
    assert!(bash[2].as_deref().is_some_and(|l| l.contains("bash")), "shebang guess: {bash:?}");
}

#[test]
fn unfenced_code_keeps_blank_lines_inside_but_not_after() {
    let doc = desk_render::render("Here:\ndef f():\n    return 1\n\n\nprint(f())\n\n\nDone with the example now.\n");
    let code = code_blocks(&doc);
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].source, "def f():\n    return 1\n\n\nprint(f())\n");
    assert_eq!(doc.blocks.len(), 3);
}

#[test]
fn tables_keep_header_and_rows_apart() {
    let doc = desk_render::render("| a | b |\n|---|--:|\n| 1 | 2 |\n| 3 | 4 |\n");
    let Block::Table(t) = &doc.blocks[0] else { panic!("{doc:?}") };
    assert_eq!(t.header.len(), 2);
    assert_eq!(t.rows.len(), 2);
    assert!(t.rows.iter().all(|r| r.len() == 2));
    assert_eq!(t.align[1], desk_protocol::Align::Right);
}

#[test]
fn json_round_trips() {
    for (_, text) in common::fixtures() {
        let doc = desk_render::render(&text);
        let json = serde_json::to_string(&doc).expect("serialise");
        let back: Document = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, doc);
    }
}
