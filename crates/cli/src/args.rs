use std::path::PathBuf;

use clap::{Args, ValueEnum};
use desk_protocol::{OverflowPolicy, SamplingParams};

/// Options every model-using subcommand shares.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// GGUF file to load (default: the first GGUF in ./models or $DESK_DATA_DIR/models).
    #[arg(long, global = true)]
    pub model: Option<PathBuf>,
    /// Context window in tokens (default: the model's, as far as memory allows).
    #[arg(long)]
    pub ctx: Option<usize>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Load even when the memory estimate says the model will not fit.
    #[arg(long)]
    pub ignore_memory_check: bool,
    /// Activation dtype: auto = f32 on CPU (faster there, and what llama.cpp
    /// computes in), mistralrs's choice on a GPU.
    #[arg(long, value_enum, default_value_t = Dtype::Auto)]
    pub dtype: Dtype,
    /// Use a model on an OpenAI-compatible server (llama-server, vLLM,
    /// mistralrs-server) instead of a local GGUF; its key comes from DESK_REMOTE_KEY.
    #[arg(long, global = true, value_name = "URL")]
    pub remote: Option<String>,
    /// The server's model id (default: the first it lists).
    #[arg(long, global = true, value_name = "NAME", requires = "remote")]
    pub remote_model: Option<String>,
    /// A GGUF with the server model's vocabulary, when it is not in models/
    /// under the server's name: prompts then go out as exact token ids.
    #[arg(long, global = true, value_name = "FILE", requires = "remote")]
    pub remote_vocab: Option<PathBuf>,
    /// PEM certificates to trust besides the OS's, for an https server with a private CA.
    #[arg(long, global = true, value_name = "FILE", env = "DESK_REMOTE_CA")]
    pub remote_ca: Option<PathBuf>,
    /// Seconds a server may stay silent mid-reply before the reply is called stalled.
    #[arg(long, global = true, default_value_t = 120, value_name = "SECS")]
    pub remote_timeout: u64,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Dtype {
    Auto,
    F32,
    F16,
    Bf16,
}

impl Dtype {
    pub fn activations(self) -> desk_engine::Activations {
        use desk_engine::Activations;
        match self {
            Dtype::Auto => Activations::Auto,
            Dtype::F32 => Activations::F32,
            Dtype::F16 => Activations::F16,
            Dtype::Bf16 => Activations::Bf16,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct GenArgs {
    #[arg(long)]
    pub system: Option<String>,
    /// 0 = greedy (deterministic).
    #[arg(long, default_value_t = 0.2)]
    pub temperature: f32,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    #[arg(long, default_value_t = 40)]
    pub top_k: usize,
    #[arg(long, default_value_t = 1.1)]
    pub repeat_penalty: f32,
    #[arg(long, default_value_t = 512)]
    pub max_tokens: usize,
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to do when the conversation outgrows the context.
    #[arg(long, value_enum, default_value_t = Policy::Error)]
    pub overflow: Policy,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Policy {
    Error,
    DropOldest,
    RollingWindow,
}

impl GenArgs {
    pub fn sampling(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            repeat_penalty: self.repeat_penalty,
            max_tokens: self.max_tokens,
            seed: self.seed,
            ignore_eos: false,
        }
    }
    pub fn policy(&self) -> OverflowPolicy {
        match self.overflow {
            Policy::Error => OverflowPolicy::Error,
            Policy::DropOldest => OverflowPolicy::DropOldest,
            Policy::RollingWindow => OverflowPolicy::RollingWindow,
        }
    }
}

/// Recording in the conversation history (`desk history`).
#[derive(Args, Debug, Clone)]
pub struct SaveArgs {
    /// Do not record this conversation in the history.
    #[arg(long)]
    pub no_save: bool,
}
