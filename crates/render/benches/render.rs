//! Highlight 10,000 lines of Rust; render a ~5,000-token answer streamed a token at a time
//! versus rendered once. After the criterion runs, prints the streaming/one-shot ratio and the
//! slowest single delta (goals: ratio <= 2, no delta over 2 ms).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use desk_render::{highlight_code, render, StreamRenderer};

const FIXTURES: &[&str] = &[
    include_str!("../tests/fixtures/python_reverse.md"),
    include_str!("../tests/fixtures/rust_struct.md"),
    include_str!("../tests/fixtures/cpp_steps.md"),
    include_str!("../tests/fixtures/bash_setup.md"),
    include_str!("../tests/fixtures/unfenced_python.md"),
    include_str!("../tests/fixtures/python_tags.md"),
    include_str!("../tests/fixtures/many_languages.md"),
    include_str!("../tests/fixtures/unfenced_cpp.md"),
];

/// About 4 characters per token for code-heavy English: 5,000 tokens ~ 20,000 characters.
const ANSWER_CHARS: usize = 20_000;
const TOKEN_CHARS: usize = 4;

fn rust_10k_lines() -> String {
    let unit = "use std::collections::HashMap;\n\n/// Counts words.\n#[derive(Debug, Clone)]\npub struct Counter<'a> {\n    counts: HashMap<&'a str, usize>,\n}\n\nimpl<'a> Counter<'a> {\n    pub fn add(&mut self, text: &'a str) -> usize {\n        let mut n = 0;\n        for word in text.split_whitespace() {\n            *self.counts.entry(word).or_insert(0) += 1; // count it\n            n += 1;\n        }\n        println!(\"added {n} words: {:?}\", self.counts.len());\n        n\n    }\n}\n\n";
    let lines_per_unit = unit.lines().count();
    unit.repeat(10_000 / lines_per_unit + 1).lines().take(10_000).collect::<Vec<_>>().join("\n")
}

fn answer() -> String {
    let mut text = String::new();
    for f in FIXTURES.iter().cycle() {
        if text.len() >= ANSWER_CHARS {
            break;
        }
        text.push_str(f);
        text.push_str("\n\n");
    }
    text
}

/// Token-sized deltas on char boundaries.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.char_indices().nth(TOKEN_CHARS).map_or(rest.len(), |(i, _)| i);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

fn stream(deltas: &[&str]) -> Duration {
    let mut r = StreamRenderer::new();
    let mut slowest = Duration::ZERO;
    for d in deltas {
        let start = Instant::now();
        r.push(d);
        black_box(r.take_changed());
        slowest = slowest.max(start.elapsed());
    }
    black_box(r.finish());
    slowest
}

fn benches(c: &mut Criterion) {
    let rust = rust_10k_lines();
    let mut g = c.benchmark_group("highlight");
    g.sample_size(10);
    g.bench_function("rust_10k_lines", |b| b.iter(|| highlight_code("rust", black_box(&rust))));
    g.finish();

    let text = answer();
    let deltas = tokens(&text);
    let mut g = c.benchmark_group("answer_5k_tokens");
    g.sample_size(20);
    g.bench_function("one_shot", |b| b.iter(|| render(black_box(&text))));
    g.bench_function("streamed_per_token", |b| b.iter(|| stream(black_box(&deltas))));
    g.finish();
}

criterion_group!(render_benches, benches);

fn report() {
    let text = answer();
    let deltas = tokens(&text);
    let runs = 10;
    let mut one_shot = Vec::new();
    let mut streamed = Vec::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..runs {
        let t = Instant::now();
        black_box(render(&text));
        one_shot.push(t.elapsed());
        let t = Instant::now();
        slowest = slowest.max(stream(&deltas));
        streamed.push(t.elapsed());
    }
    one_shot.sort();
    streamed.sort();
    let (o, s) = (one_shot[runs / 2], streamed[runs / 2]);
    println!(
        "answer: {} chars, {} deltas of {TOKEN_CHARS} chars; one-shot {:.2} ms, streamed total {:.2} ms, \
         ratio {:.2} (goal <= 2); slowest delta {:.3} ms over {runs} runs (goal <= 2 ms)",
        text.len(),
        deltas.len(),
        o.as_secs_f64() * 1e3,
        s.as_secs_f64() * 1e3,
        s.as_secs_f64() / o.as_secs_f64(),
        slowest.as_secs_f64() * 1e3,
    );
}

fn main() {
    render_benches();
    // `cargo test --benches` runs each benchmark once as a smoke test; the report is for
    // real benchmark runs only.
    if std::env::args().any(|a| a == "--bench") {
        report();
    }
    Criterion::default().configure_from_args().final_summary();
}
