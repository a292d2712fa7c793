//! Streaming in any split equals rendering at once, at every step, not just at the end.

mod common;

use desk_protocol::{Block, CodeBlock, CodeNode};
use desk_render::{render, StreamRenderer};
use proptest::prelude::*;

/// Splits `text` at char boundaries into pieces of 1..=max_len chars, sizes from `seeds`.
fn split<'a>(text: &'a str, seeds: &[usize], max_len: usize) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut i = 0;
    while !rest.is_empty() {
        let n = 1 + seeds[i % seeds.len()] % max_len;
        i += 1;
        let cut = rest.char_indices().nth(n).map_or(rest.len(), |(b, _)| b);
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    pieces
}

fn check_stream(text: &str, pieces: &[&str], every_step: bool) {
    let mut r = StreamRenderer::new();
    let mut shown = Vec::new();
    for piece in pieces {
        r.push(piece);
        // What the UI holds after applying each patch must match the renderer.
        let patch = r.take_patch();
        assert!(patch.from <= shown.len());
        shown.truncate(patch.from);
        shown.extend(patch.blocks);
        assert_eq!(shown, r.blocks());
        if every_step {
            let (mut streamed, mut batch) = (r.blocks().to_vec(), render(r.text()).blocks);
            if !r.text().ends_with('\n') {
                // The unfinished line of the open code block is shown plain until it ends.
                plain_last_code_line(&mut streamed);
                plain_last_code_line(&mut batch);
            }
            assert_eq!(streamed, batch, "after {:?}", r.text());
        }
    }
    assert_eq!(r.finish(), render(text));
}

fn plain_last_code_line(blocks: &mut [Block]) {
    fn last_code(blocks: &mut [Block]) -> Option<&mut CodeBlock> {
        blocks.iter_mut().rev().find_map(|b| match b {
            Block::Code(c) => Some(c),
            Block::Quote { blocks } => last_code(blocks),
            Block::List(l) => l.items.iter_mut().rev().find_map(|i| last_code(&mut i.blocks)),
            _ => None,
        })
    }
    fn text(nodes: &[CodeNode]) -> String {
        nodes.iter().map(|n| match n {
            CodeNode::Text(t) => t.clone(),
            CodeNode::Scope { children, .. } => text(children),
        }).collect()
    }
    if let Some(line) = last_code(blocks).and_then(|c| c.lines.last_mut()) {
        let t = text(&line.nodes);
        line.nodes = if t.is_empty() { Vec::new() } else { vec![CodeNode::Text(t)] };
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn streaming_equals_batch(seeds in prop::collection::vec(0usize..1000, 1..64), max_len in 1usize..40) {
        for (_, text) in common::fixtures() {
            let pieces = split(&text, &seeds, max_len);
            check_stream(&text, &pieces, false);
        }
    }

}

// Rendering the whole prefix after every delta is quadratic: fewer cases.
proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]
    #[test]
    fn streaming_matches_batch_at_every_step(seeds in prop::collection::vec(0usize..1000, 1..16), max_len in 1usize..12) {
        for (_, text) in common::fixtures() {
            let pieces = split(&text, &seeds, max_len);
            check_stream(&text, &pieces, true);
        }
    }
}

#[test]
fn one_char_at_a_time_including_multibyte() {
    let text = "Ünïcödé 👋 prose:\n\n```py\ns = \"héllo 👋\"\n```\n[PYTHON]\nx = '日本'\n[/PYTHON]\nDone — ok.\n";
    let pieces: Vec<&str> = text.char_indices().map(|(i, c)| &text[i..i + c.len_utf8()]).collect();
    check_stream(text, &pieces, true);
}

#[test]
fn closed_blocks_stop_changing() {
    let mut r = StreamRenderer::new();
    r.push("Intro paragraph.\n\n```rust\nfn main() {}\n```\n\nMore");
    assert_eq!(r.closed_blocks(), 2, "paragraph and closed fence are final");
    r.take_changed();
    r.push(" text");
    assert_eq!(r.take_changed(), 2..3, "only the open paragraph changed");
    r.push("\n\n```py\nx = 1\n");
    assert_eq!(r.take_changed(), 3..4, "the paragraph closed as it was shown: not resent");
    r.push("y = 2\n");
    assert_eq!(r.take_changed(), 3..4, "only the open code block");
}
