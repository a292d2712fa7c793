//! Code Llama-shaped GGUF files for the picker and the context setting: a
//! real header (llama architecture, Code Llama's 32016-token vocabulary,
//! its layer shapes) over sparse, all-zero weights. Only the header is ever
//! read: the tests that use these run the scripted fake backend.
//!
//! Written by hand rather than with the engine's writer so these test
//! binaries do not link mistralrs.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

pub struct Shape {
    /// e.g. "codellama_codellama-7b-instruct-hf"
    pub name: &'static str,
    pub blocks: u32,
    pub embedding: u32,
    pub heads: u32,
    pub kv_heads: u32,
    /// GGUF `general.file_type` (15 = Q4_K_M, 0 = F32).
    pub file_type: u32,
    /// ggml type of the weights (12 = Q4_K, 0 = F32) and its (block, bytes).
    pub ggml_type: u32,
    pub block: (u64, u64),
    pub parameters: u64,
}

pub const CODE_LLAMA_7B_INSTRUCT: Shape = Shape {
    name: "codellama_codellama-7b-instruct-hf",
    blocks: 32,
    embedding: 4096,
    heads: 32,
    kv_heads: 32,
    file_type: 15,
    ggml_type: 12,
    block: (256, 144),
    parameters: 6_738_546_688,
};

/// Unquantized, so no machine running the tests has the ~260 GiB it needs.
pub const CODE_LLAMA_70B_INSTRUCT_F32: Shape = Shape {
    name: "codellama_codellama-70b-instruct-hf",
    blocks: 80,
    embedding: 8192,
    heads: 64,
    kv_heads: 8,
    file_type: 0,
    ggml_type: 0,
    block: (1, 4),
    parameters: 68_976_648_192,
};

fn string(w: &mut Vec<u8>, s: &str) {
    w.extend((s.len() as u64).to_le_bytes());
    w.extend(s.as_bytes());
}

fn meta_u32(w: &mut Vec<u8>, key: &str, v: u32) {
    string(w, key);
    w.extend(4u32.to_le_bytes());
    w.extend(v.to_le_bytes());
}

fn meta_f32(w: &mut Vec<u8>, key: &str, v: f32) {
    string(w, key);
    w.extend(6u32.to_le_bytes());
    w.extend(v.to_le_bytes());
}

fn meta_str(w: &mut Vec<u8>, key: &str, v: &str) {
    string(w, key);
    w.extend(8u32.to_le_bytes());
    string(w, v);
}

/// One weight tensor holding all the parameters, its bytes a hole in the file.
pub fn write(path: &Path, shape: &Shape) -> Result<()> {
    let mut w = Vec::new();
    w.extend(b"GGUF");
    w.extend(3u32.to_le_bytes());
    w.extend(1u64.to_le_bytes());
    w.extend(11u64.to_le_bytes());
    meta_str(&mut w, "general.architecture", "llama");
    meta_str(&mut w, "general.name", shape.name);
    meta_u32(&mut w, "general.file_type", shape.file_type);
    meta_u32(&mut w, "llama.context_length", 16384);
    meta_u32(&mut w, "llama.embedding_length", shape.embedding);
    meta_u32(&mut w, "llama.block_count", shape.blocks);
    meta_u32(&mut w, "llama.attention.head_count", shape.heads);
    meta_u32(&mut w, "llama.attention.head_count_kv", shape.kv_heads);
    meta_u32(&mut w, "llama.vocab_size", 32016);
    meta_u32(&mut w, "llama.feed_forward_length", shape.embedding * 8 / 3);
    meta_f32(&mut w, "llama.rope.freq_base", 1_000_000.0);
    let rows = shape.parameters / shape.embedding as u64;
    string(&mut w, "weights");
    w.extend(2u32.to_le_bytes());
    w.extend((shape.embedding as u64).to_le_bytes());
    w.extend(rows.to_le_bytes());
    w.extend(shape.ggml_type.to_le_bytes());
    w.extend(0u64.to_le_bytes());
    let data_start = (w.len() as u64).div_ceil(32) * 32;
    let bytes = shape.embedding as u64 * rows / shape.block.0 * shape.block.1;
    let mut file = std::fs::File::create(path)?;
    file.write_all(&w)?;
    file.set_len(data_start + bytes)?;
    Ok(())
}
