//! Context length: how far past a model's trained context it may be pushed,
//! and how. mistralrs sizes RoPE tables and the KV cache from the GGUF's
//! `{arch}.context_length` and merges the metadata of every file it is given,
//! later files winning; a tiny metadata-only GGUF listed after the model
//! therefore sets the context without rewriting a multi-gigabyte file.

use std::path::{Path, PathBuf};

use desk_protocol::ModelFacts;

use crate::error::EngineError;
use crate::gguf::write::{GgufWriter, MetaValue};

/// Code Llama was trained on 16k-token sequences and, with RoPE base 1e6,
/// stays usable to about 100k (Meta's paper); past 16k quality is not guaranteed.
pub const CODE_LLAMA_TRAINED: usize = 16_384;
pub const LONG_CONTEXT_MAX: usize = 100_000;

/// The largest context this app will run `facts`' model at.
pub fn max_context(facts: &ModelFacts) -> usize {
    let trained = facts.context_length.unwrap_or(4096) as usize;
    if facts.code_llama.is_some() {
        trained.max(LONG_CONTEXT_MAX)
    } else {
        trained
    }
}

/// Check `wanted` against what the model allows.
pub fn check(facts: &ModelFacts, wanted: usize) -> Result<(), EngineError> {
    let max = max_context(facts);
    if wanted > max {
        let why = if facts.code_llama.is_some() {
            "the most this app runs Code Llama at".to_string()
        } else {
            format!("{} was trained on {max} tokens and is not a Code Llama model", facts.file_name)
        };
        return Err(EngineError::ContextTooLong { asked: wanted, max, why });
    }
    Ok(())
}

/// When `wanted` exceeds the file's own context, write (once) the metadata
/// overlay that raises it, and return its path.
pub fn overlay(facts: &ModelFacts, wanted: usize, cache_dir: &Path) -> Result<Option<PathBuf>, EngineError> {
    let trained = facts.context_length.unwrap_or(4096) as usize;
    if wanted <= trained {
        return Ok(None);
    }
    let path = cache_dir.join(format!("context-{}-{wanted}.gguf", facts.architecture));
    if path.exists() {
        return Ok(Some(path));
    }
    let fail = |e: std::io::Error| EngineError::Load { path: path.display().to_string(), reason: format!("cannot write the context overlay: {e}") };
    std::fs::create_dir_all(cache_dir).map_err(fail)?;
    let mut w = GgufWriter::new();
    w.meta("general.architecture", MetaValue::Str(facts.architecture.clone()));
    w.meta(&format!("{}.context_length", facts.architecture), MetaValue::U32(wanted as u32));
    // Written under a temporary name so a crash never leaves half a file that later loads.
    let tmp = path.with_extension("tmp");
    w.write(&tmp).map_err(fail)?;
    std::fs::rename(&tmp, &path).map_err(fail)?;
    Ok(Some(path))
}
