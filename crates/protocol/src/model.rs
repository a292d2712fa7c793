use serde::{Deserialize, Serialize};

/// How a conversation is turned into the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptFormat {
    /// Meta's `[INST]`/`<<SYS>>` format, built token by token.
    CodeLlamaInstruct,
    /// The Jinja chat template embedded in the GGUF.
    ChatTemplate,
    /// Plain continuation of the text (base and Python models).
    Completion,
}

/// Facts read from a GGUF header without loading weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    pub path: String,
    pub file_name: String,
    pub file_size: u64,
    pub gguf_version: u32,
    pub architecture: String,
    pub name: Option<String>,
    pub context_length: Option<u64>,
    pub rope_freq_base: Option<f32>,
    pub vocab_size: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    pub head_count_kv: Option<u64>,
    /// GGUF `general.file_type` (e.g. 15 = Q4_K_M).
    pub file_type: Option<u32>,
    pub file_type_name: Option<String>,
    pub has_chat_template: bool,
    pub tensor_count: u64,
    pub format: PromptFormat,
}
