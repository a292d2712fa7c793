//! Will the model fit? Checked before loading so a too-big model is refused
//! with numbers instead of sending the machine into swap.

use desk_protocol::{FitEstimate, ModelFacts};

use crate::error::EngineError;

const MIB: u64 = 1 << 20;
/// Runtime, activations and tokenizer, measured loosely on the demo model.
const OVERHEAD: u64 = 300 * MIB;

/// Bytes of KV cache for `context` tokens at 16-bit precision.
pub fn kv_cache_bytes(facts: &ModelFacts, context: usize) -> u64 {
    let layers = facts.block_count.unwrap_or(0);
    let heads = facts.head_count.unwrap_or(1).max(1);
    let kv_heads = facts.head_count_kv.unwrap_or(heads);
    let head_dim = facts.embedding_length.unwrap_or(0) / heads;
    layers * 2 * kv_heads * head_dim * context as u64 * 2
}

/// Runtime overhead plus the load-time peak: mistralrs reads each tensor and
/// then converts it, so while loading about half the weights exist twice.
/// Calibrated on measured peak RSS (`desk bench`): the demo model 461 MiB,
/// a Code Llama 7B-shaped Q4_K_M 6,138 MiB.
pub fn overhead_bytes(facts: &ModelFacts) -> u64 {
    OVERHEAD + facts.file_size / 2
}

/// Weights + KV cache + runtime overhead.
pub fn estimate_bytes(facts: &ModelFacts, context: usize) -> u64 {
    facts.file_size + kv_cache_bytes(facts, context) + overhead_bytes(facts)
}

/// `MemAvailable` from /proc/meminfo; `None` where that cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The estimate against the memory available now.
pub fn estimate(facts: &ModelFacts, context: usize) -> FitEstimate {
    let total = estimate_bytes(facts, context);
    let available = available_bytes();
    FitEstimate {
        context: context as u64,
        weights_bytes: facts.file_size,
        kv_cache_bytes: kv_cache_bytes(facts, context),
        overhead_bytes: overhead_bytes(facts),
        total_bytes: total,
        available_bytes: available,
        fits: available.is_none_or(|a| total <= a),
    }
}

/// The context a model runs at when none is asked for.
pub fn default_context(facts: &ModelFacts) -> usize {
    facts.context_length.unwrap_or(4096) as usize
}

pub fn check_fits(facts: &ModelFacts, context: usize) -> Result<(), EngineError> {
    let fit = estimate(facts, context);
    match fit.available_bytes {
        Some(available) if !fit.fits => Err(EngineError::OutOfMemoryRisk {
            path: facts.path.clone(),
            needed_mib: fit.total_bytes / MIB,
            available_mib: available / MIB,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_protocol::PromptFormat;

    #[test]
    fn code_llama_7b_kv_cache_at_16k_is_8_gib() {
        let facts = ModelFacts {
            path: "x".into(),
            file_name: "x".into(),
            file_size: 4_080_000_000,
            gguf_version: 3,
            architecture: "llama".into(),
            name: None,
            context_length: Some(16384),
            rope_freq_base: Some(1e6),
            vocab_size: Some(32016),
            block_count: Some(32),
            embedding_length: Some(4096),
            head_count: Some(32),
            head_count_kv: Some(32),
            file_type: Some(15),
            file_type_name: Some("Q4_K_M".into()),
            has_chat_template: false,
            tensor_count: 291,
            format: PromptFormat::CodeLlamaInstruct,
            ..Default::default()
        };
        assert_eq!(kv_cache_bytes(&facts, 16384), 8 << 30);
        assert_eq!(estimate_bytes(&facts, 16384), 4_080_000_000 + (8 << 30) + OVERHEAD + 2_040_000_000);
    }
}
