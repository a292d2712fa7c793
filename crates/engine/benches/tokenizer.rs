//! The encoder's speed on llama.cpp's vocabularies (fetched by setup): building
//! it from the GGUF header (goals: 32k vocabulary <= 50 ms, 150k <= 300 ms) and
//! encoding a 100 KB source file (goal <= 20 ms). Prints one figure per line
//! after the criterion runs; no timing is asserted.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use desk_engine::gguf::{read_header_keeping, GgufHeader};
use desk_engine::vocab::{tokenizer_from_header, ARRAYS};

const VOCABS: &[&str] = &["llama-spm", "gpt-2", "llama-bpe", "qwen2"];

fn vocab(name: &str) -> PathBuf {
    let dir = std::env::var_os("DESK_VOCAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-data/llama-vocab"));
    dir.join(format!("ggml-vocab-{name}.gguf"))
}

/// 100 KB of this repository's own Rust: real code, deterministic.
fn source_100k() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["engine/src", "render/src", "store/src", "cli/src", "eval/src", "models/src"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(dir)).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        entries.sort();
        files.extend(entries.into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")));
    }
    let mut text = String::new();
    for f in files {
        text.push_str(&std::fs::read_to_string(f).unwrap_or_default());
        if text.len() >= 100_000 {
            break;
        }
    }
    let mut cut = 100_000.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text
}

fn headers() -> Vec<(&'static str, PathBuf, GgufHeader)> {
    VOCABS
        .iter()
        .map(|n| {
            let path = vocab(n);
            let h = read_header_keeping(&path, ARRAYS).unwrap_or_else(|e| panic!("{e}: run `bash crates/tokenizer/fetch-vocabs.sh`"));
            (*n, path, h)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = source_100k();
    for (name, path, header) in headers() {
        c.bench_function(&format!("build {name}"), |b| b.iter(|| tokenizer_from_header(&path, black_box(&header)).unwrap()));
        let tok = tokenizer_from_header(&path, &header).unwrap();
        c.bench_function(&format!("encode 100 KB {name}"), |b| b.iter(|| tok.encode(black_box(&text))));
    }
}

/// Best of a few runs, as one line per vocabulary.
fn report() {
    let text = source_100k();
    let best = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO)
    };
    for (name, path, header) in headers() {
        let build = best(&mut || drop(tokenizer_from_header(&path, &header).unwrap()));
        let tok = tokenizer_from_header(&path, &header).unwrap();
        let mut n = 0;
        let encode = best(&mut || n = tok.encode(&text).len());
        println!(
            "tokenizer {name}: {} pieces, build {:.1} ms, encode {} bytes -> {n} tokens in {:.1} ms",
            tok.vocab_size(),
            build.as_secs_f64() * 1e3,
            text.len(),
            encode.as_secs_f64() * 1e3
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(300));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
