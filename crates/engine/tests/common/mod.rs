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

/// Pieces placed at the ids Llama 2's vocabulary gives them, where the test
/// relies on them; everything else gets a filler id.
const PIECES: &[(&str, u32)] = &[
    ("▁[", 518),
    ("INST", 25580),
    ("]", 29962),
    ("/", 29914),
    ("▁", 29871),
    ("▁<<", 3532),
    ("<</", 829),
    ("SYS", 14816),
    (">>", 6778),
    ("Be", 3629),
    ("▁brief", 11473),
    (".", 29889),
    ("Hi", 18567),
    ("▁Hi", 6324),
    ("▁Hello", 15043),
    ("▁Why", 3750),
    ("?", 29973),
    ("▁Because", 7311),
    ("▁Thanks", 1834),
    ("▁def", 822),
    ("▁<PRE>", 32007),
    ("▁<SUF>", 32008),
    ("▁<MID>", 32009),
    ("▁<EOT>", 32010),
];

pub struct CodeLlamaVocab {
    pub tokens: Vec<String>,
    pub ids: HashMap<String, u32>,
}

impl CodeLlamaVocab {
    pub fn new() -> Self {
        let mut tokens: Vec<String> = (0..32016).map(|i| format!("<filler{i}>")).collect();
        tokens[0] = "<unk>".into();
        tokens[1] = "<s>".into();
        tokens[2] = "</s>".into();
        for b in 0..256 {
            tokens[3 + b] = format!("<0x{b:02X}>");
        }
        for (piece, id) in PIECES {
            tokens[*id as usize] = piece.to_string();
        }
        let ids = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        Self { tokens, ids }
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

/// A one-layer llama GGUF with Code Llama's vocabulary size, RoPE base and special tokens.
pub fn write_code_llama_fixture(path: &Path, name: &str) {
    let vocab = CodeLlamaVocab::new();
    let (dim, ffn, heads) = (16u64, 32u64, 2u64);
    let n_vocab = vocab.tokens.len() as u64;
    let types: Vec<i32> = (0..n_vocab as usize)
        .map(|i| match i {
            0 => 2,
            1 | 2 | 32007..=32010 => 3,
            3..=258 => 6,
            _ => 1,
        })
        .collect();
    let scores: Vec<f32> = (0..n_vocab as usize).map(|i| if (3..=258).contains(&i) { -100.0 } else { -1.0 }).collect();
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
