//! Any text, split anywhere: rendering never panics, streaming equals one-shot, and the HTML
//! never links anywhere but http, https and mailto.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let doc = desk_render::render(&text);

    let step = usize::from(step % 16) + 1;
    let mut r = desk_render::StreamRenderer::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if piece.chars().count() >= step {
            r.push(&piece);
            piece.clear();
        }
    }
    r.push(&piece);
    assert_eq!(r.finish(), doc);

    let html = desk_render::to_html(&doc);
    for href in html.split("href=\"").skip(1) {
        let h = href.to_ascii_lowercase();
        assert!(h.starts_with("http://") || h.starts_with("https://") || h.starts_with("mailto:"), "{href}");
    }
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<iframe"));
});
