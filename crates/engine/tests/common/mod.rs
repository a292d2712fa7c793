//! Shared helpers: the demo model, and a tiny Code Llama-shaped GGUF written on the fly.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use desk_engine::gguf::write::{GgufWriter, MetaValue};
use desk_engine::{Engine, LoadOptions};

pub fn demo_model() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(path.exists(), "the demo model is missing: run `bash models/fetch-demo-model.sh` (or `bash .ci/setup`)");
    path
}

pub async fn load_demo(context_len: Option<usize>) -> Engine {
    let options = LoadOptions { context_len, ..LoadOptions::default() };
    Engine::load(&demo_model(), options, |_| {}).await.expect("the demo model loads")
}

/// llama.cpp's vocab-only GGUFs with their reference vectors (fetched by setup).
pub fn vocab_file(name: &str) -> PathBuf {
    let dir = std::env::var_os("DESK_VOCAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-data/llama-vocab"));
    let path = dir.join(format!("ggml-vocab-{name}.gguf"));
    assert!(path.exists(), "{} is missing: run `bash crates/tokenizer/fetch-vocabs.sh` (or `bash .ci/setup`)", path.display());
    path
}

/// Code Llama's 16 extra pieces, as its tokenizer.model lists them after Llama 2's 32000.
pub const CODE_LLAMA_EXTRA: [&str; 16] = [
    "▁<SU", "▁<SUF", "▁<PRE", "▁<M", "▁<MID", "▁<E", "▁<EOT", "▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>",
    "▁<EOT><EOT>", "▁<EOT><EOT><EOT>", "▁<EOT><EOT><EOT><EOT>", "▁<EOT><EOT><EOT><EOT><EOT>", "▁<EOT><EOT><EOT><EOT><EOT><EOT>",
];

/// The real Code Llama vocabulary: Llama 2's pieces, scores and types (from
/// llama.cpp's ggml-vocab-llama-spm.gguf) plus the 16 infill pieces.
pub struct CodeLlamaVocab {
    pub tokens: Vec<String>,
    pub scores: Vec<f32>,
    pub types: Vec<i32>,
    pub ids: HashMap<String, u32>,
}

impl CodeLlamaVocab {
    pub fn new() -> Self {
        use desk_engine::gguf::GgufArray;
        let h = desk_engine::gguf::read_header_keeping(&vocab_file("llama-spm"), desk_engine::vocab::ARRAYS).expect("the llama-spm vocabulary reads");
        let (Some(GgufArray::Strings(mut tokens)), Some(GgufArray::Floats(mut scores)), Some(GgufArray::Ints(types))) = (
            h.arrays.get("tokenizer.ggml.tokens").cloned(),
            h.arrays.get("tokenizer.ggml.scores").cloned(),
            h.arrays.get("tokenizer.ggml.token_type").cloned(),
        ) else {
            panic!("llama-spm has tokens, scores and types")
        };
        assert_eq!(tokens.len(), 32000);
        let mut types: Vec<i32> = types.into_iter().map(|t| t as i32).collect();
        // Written as plain pieces with the best score: the worst case for an
        // encoder that would let text reach them.
        for piece in CODE_LLAMA_EXTRA {
            tokens.push(piece.to_string());
            scores.push(0.0);
            types.push(1);
        }
        let ids = tokens.iter().enumerate().rev().map(|(i, t)| (t.clone(), i as u32)).collect();
        Self { tokens, scores, types, ids }
    }

    /// Ids of a sequence of pieces, by name (`"\n"` means the newline byte).
    pub fn ids(&self, pieces: &[&str]) -> Vec<u32> {
        pieces
            .iter()
            .map(|p| match *p {
                "<s>" => 1,
                "</s>" => 2,
                "\n" => 13,
                p => *self.ids.get(p).unwrap_or_else(|| panic!("no piece {p:?} in the fixture vocabulary")),
            })
            .collect()
    }
}

/// Deterministic small weights.
fn weights(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32 - 0.5) * 0.2
        })
        .collect()
}

/// A one-layer llama GGUF with Code Llama's real vocabulary, RoPE base and special tokens.
pub fn write_code_llama_fixture(path: &Path, name: &str) {
    let vocab = CodeLlamaVocab::new();
    let (dim, ffn, heads) = (16u64, 32u64, 2u64);
    let n_vocab = vocab.tokens.len() as u64;
    let (types, scores) = (vocab.types.clone(), vocab.scores.clone());
    let mut w = GgufWriter::new();
    w.meta("general.architecture", MetaValue::Str("llama".into()))
        .meta("general.name", MetaValue::Str(name.into()))
        .meta("general.file_type", MetaValue::U32(0))
        .meta("llama.context_length", MetaValue::U32(16384))
        .meta("llama.embedding_length", MetaValue::U32(dim as u32))
        .meta("llama.block_count", MetaValue::U32(1))
        .meta("llama.feed_forward_length", MetaValue::U32(ffn as u32))
        .meta("llama.attention.head_count", MetaValue::U32(heads as u32))
        .meta("llama.attention.head_count_kv", MetaValue::U32(heads as u32))
        .meta("llama.rope.dimension_count", MetaValue::U32((dim / heads) as u32))
        .meta("llama.rope.freq_base", MetaValue::F32(1_000_000.0))
        .meta("llama.attention.layer_norm_rms_epsilon", MetaValue::F32(1e-5))
        .meta("tokenizer.ggml.model", MetaValue::Str("llama".into()))
        .meta("tokenizer.ggml.tokens", MetaValue::StrArray(vocab.tokens.clone()))
        .meta("tokenizer.ggml.scores", MetaValue::F32Array(scores))
        .meta("tokenizer.ggml.token_type", MetaValue::I32Array(types))
        .meta("tokenizer.ggml.bos_token_id", MetaValue::U32(1))
        .meta("tokenizer.ggml.eos_token_id", MetaValue::U32(2))
        .meta("tokenizer.ggml.unknown_token_id", MetaValue::U32(0));
    let mut seed = 0;
    let mut t = |w: &mut GgufWriter, name: &str, dims: &[u64]| {
        seed += 1;
        let n = dims.iter().product::<u64>() as usize;
        let data = if name.ends_with("norm.weight") { vec![1.0; n] } else { weights(n, seed) };
        w.tensor(name, dims, data);
    };
    t(&mut w, "token_embd.weight", &[dim, n_vocab]);
    t(&mut w, "output_norm.weight", &[dim]);
    t(&mut w, "output.weight", &[dim, n_vocab]);
    t(&mut w, "blk.0.attn_norm.weight", &[dim]);
    t(&mut w, "blk.0.attn_q.weight", &[dim, dim]);
    t(&mut w, "blk.0.attn_k.weight", &[dim, dim]);
    t(&mut w, "blk.0.attn_v.weight", &[dim, dim]);
    t(&mut w, "blk.0.attn_output.weight", &[dim, dim]);
    t(&mut w, "blk.0.ffn_norm.weight", &[dim]);
    t(&mut w, "blk.0.ffn_gate.weight", &[dim, ffn]);
    t(&mut w, "blk.0.ffn_up.weight", &[dim, ffn]);
    t(&mut w, "blk.0.ffn_down.weight", &[ffn, dim]);
    w.write(path).expect("write the fixture GGUF");
}
