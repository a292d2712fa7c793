//! Reading (and, for fixtures, writing) GGUF files without loading weights.

mod flavour;
mod read;
mod template;
mod types;
pub mod write;

use std::path::Path;

use desk_protocol::{ModelFacts, PromptFormat};

pub use read::{parse_header, parse_header_keeping, read_header, read_header_keeping, GgufArray, GgufHeader, TensorInfo};
pub use types::{file_type_name, tensor_bytes, GgufValue};

use crate::error::EngineError;

/// Code Llama's vocabulary: Llama 2's 32000 plus the infilling tokens.
pub const CODE_LLAMA_VOCAB: u64 = 32016;

/// Architectures mistralrs 0.8.1 can run from GGUF.
const SUPPORTED_ARCHS: &[&str] = &["llama", "mistral3", "phi2", "phi3", "starcoder2", "qwen2", "qwen3", "qwen3moe"];

/// Read the header of `path` and summarise what the app needs to know.
pub fn inspect(path: &Path) -> Result<ModelFacts, EngineError> {
    let header = read_header(path)?;
    facts_from_header(path, &header)
}

pub fn facts_from_header(path: &Path, h: &GgufHeader) -> Result<ModelFacts, EngineError> {
    let shown = path.display().to_string();
    let architecture = h
        .get_str("general.architecture")
        .ok_or_else(|| EngineError::Corrupt { path: shown.clone(), reason: "no general.architecture in the header".into() })?
        .to_string();
    let arch_key = |k: &str| format!("{architecture}.{k}");
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = h.get_str("general.name").map(str::to_string);
    let vocab_size = h
        .array_len("tokenizer.ggml.tokens")
        .or_else(|| h.get_u64(&arch_key("vocab_size")));
    let template = h.get_str("tokenizer.chat_template").filter(|t| !t.trim().is_empty());
    if let Some(t) = template {
        template::check(t).map_err(|reason| EngineError::Corrupt { path: shown.clone(), reason })?;
    }
    let has_chat_template = template.is_some();
    let file_type = h.get_u64("general.file_type").map(|v| v as u32);
    let format = choose_format(&architecture, vocab_size, name.as_deref(), &file_name, has_chat_template);
    let block_count = h.get_u64(&arch_key("block_count"));
    let code_llama = flavour::code_llama(&architecture, vocab_size, name.as_deref(), &file_name, block_count);
    let parameter_count = h.tensors.iter().map(|t| t.dims.iter().product::<u64>()).sum();
    Ok(ModelFacts {
        path: shown,
        file_name,
        file_size: h.file_size,
        gguf_version: h.version,
        context_length: h.get_u64(&arch_key("context_length")),
        rope_freq_base: h.get_f32(&arch_key("rope.freq_base")),
        block_count,
        embedding_length: h.get_u64(&arch_key("embedding_length")),
        head_count: h.get_u64(&arch_key("attention.head_count")),
        head_count_kv: h.get_u64(&arch_key("attention.head_count_kv")),
        architecture,
        name,
        vocab_size,
        file_type,
        file_type_name: file_type.and_then(file_type_name).map(str::to_string),
        has_chat_template,
        tensor_count: h.tensors.len() as u64,
        format,
        parameter_count,
        code_llama,
        modes: flavour::modes(format, code_llama),
    })
}

/// Refuse early, with a message a person can act on, what mistralrs cannot run.
pub fn check_supported(facts: &ModelFacts) -> Result<(), EngineError> {
    if !SUPPORTED_ARCHS.contains(&facts.architecture.as_str()) {
        return Err(EngineError::UnsupportedArchitecture {
            path: facts.path.clone(),
            architecture: facts.architecture.clone(),
            supported: SUPPORTED_ARCHS.join(", "),
        });
    }
    Ok(())
}

/// Pick the prompt format from header facts alone.
pub fn choose_format(
    architecture: &str,
    vocab_size: Option<u64>,
    name: Option<&str>,
    file_name: &str,
    has_chat_template: bool,
) -> PromptFormat {
    let says_instruct = |s: &str| s.to_ascii_lowercase().contains("instruct");
    let code_llama_vocab = architecture == "llama" && vocab_size == Some(CODE_LLAMA_VOCAB);
    if code_llama_vocab && (name.is_some_and(says_instruct) || says_instruct(file_name)) {
        PromptFormat::CodeLlamaInstruct
    } else if has_chat_template {
        PromptFormat::ChatTemplate
    } else {
        PromptFormat::Completion
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_llama_instruct_is_recognised_from_name_or_file_name() {
        let f = |name, file, tmpl| choose_format("llama", Some(32016), name, file, tmpl);
        assert_eq!(f(Some("codellama_codellama-7b-instruct-hf"), "x.gguf", false), PromptFormat::CodeLlamaInstruct);
        assert_eq!(f(None, "codellama-13b-instruct.Q4_K_M.gguf", true), PromptFormat::CodeLlamaInstruct);
        assert_eq!(f(Some("codellama-7b-python"), "codellama-7b-python.Q4_K_M.gguf", false), PromptFormat::Completion);
        assert_eq!(f(Some("codellama-7b"), "codellama-7b.Q4_K_M.gguf", false), PromptFormat::Completion);
        // Llama 2 chat has 32000 tokens: not Code Llama, so its template wins.
        assert_eq!(choose_format("llama", Some(32000), Some("Llama-2-7b-instruct"), "a.gguf", true), PromptFormat::ChatTemplate);
        assert_eq!(choose_format("llama", Some(49152), Some("SmolLM2 135M Instruct"), "s.gguf", true), PromptFormat::ChatTemplate);
    }

    #[test]
    fn tensor_sizes_follow_ggml_blocks() {
        assert_eq!(tensor_bytes(0, &[4096, 32016]), Some(4096 * 32016 * 4));
        assert_eq!(tensor_bytes(12, &[4096, 4096]), Some(4096 * 4096 / 256 * 144));
        assert_eq!(tensor_bytes(12, &[100, 4]), None, "rows must be whole blocks");
        assert_eq!(tensor_bytes(0, &[u64::MAX, 3]), None, "overflow is an error");
        assert_eq!(tensor_bytes(99, &[32]), None);
    }
}
