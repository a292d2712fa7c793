use serde::{Deserialize, Serialize};

/// How a conversation is turned into the model's input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptFormat {
    /// Meta's `[INST]`/`<<SYS>>` format, built token by token.
    CodeLlamaInstruct,
    /// The Jinja chat template embedded in the GGUF.
    ChatTemplate,
    /// Plain continuation of the text (base and Python models).
    #[default]
    Completion,
}

/// Which of Code Llama's three trainings a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Base,
    Python,
    Instruct,
}

/// What a Code Llama file is, from its metadata and file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLlama {
    pub flavour: Flavour,
    /// 7, 13, 34 or 70 (billions of parameters); `None` when neither the name nor the shape says.
    pub size_b: Option<u32>,
    /// Trained for fill-in-the-middle: 7B and 13B, base and Instruct.
    pub infill: bool,
}

/// What the app can do with a model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modes {
    pub chat: bool,
    pub complete: bool,
    pub infill: bool,
}

/// Facts read from a GGUF header without loading weights.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Summed from the tensor shapes.
    #[serde(default)]
    pub parameter_count: u64,
    #[serde(default)]
    pub code_llama: Option<CodeLlama>,
    #[serde(default)]
    pub modes: Modes,
}

/// Memory a model needs at a context length, against what the machine has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitEstimate {
    pub context: u64,
    pub weights_bytes: u64,
    pub kv_cache_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
    /// `None` where the platform does not say.
    pub available_bytes: Option<u64>,
    pub fits: bool,
}
