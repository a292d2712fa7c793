//! Types shared by the engine, the desktop shell, the UI and the CLI.
//!
//! Everything here is plain serde data so it crosses the Tauri IPC boundary and
//! builds for wasm32; no behaviour lives here beyond small constructors.

use serde::{Deserialize, Serialize};

mod app;
mod daily;
mod model;
mod title;
pub use app::{
    split_at_marker, CatalogEntry, CompleteRequest, FillRequest, ModelEntry, ModelStatus, OpenedConversation, Record, ReplyUpdate, SendRequest, StoredIds,
    LocalApi, Prefill, PullProgress, RemoteInfo, RemoteRequest, RemoteSettings,
    FILL_MARKER,
};
pub use daily::{Attachment, ExportFormat, Exported, OutputStream, RunEnd, RunEvent, RunSettings, StoreNotice};
pub use title::auto_title;
pub use model::{CodeLlama, FitEstimate, Flavour, ModelFacts, Modes, PromptFormat};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// A conversation as the model should see it: alternating user/assistant
/// messages, ending with the user message to answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub system: Option<String>,
    pub messages: Vec<Message>,
}

impl Conversation {
    pub fn new(system: Option<String>) -> Self {
        Self { system, messages: Vec::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingParams {
    /// 0 means greedy: deterministic whatever the seed.
    pub temperature: f32,
    pub top_p: f32,
    /// 0 disables top-k.
    pub top_k: usize,
    /// 1.0 disables the penalty.
    pub repeat_penalty: f32,
    pub max_tokens: usize,
    /// `None` picks a fresh seed per reply; the one used is reported in `Started`.
    pub seed: Option<u64>,
    /// Benchmarks need an exact token count, so end-of-sequence can be forbidden.
    pub ignore_eos: bool,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.2,
            top_p: 0.95,
            top_k: 40,
            repeat_penalty: 1.1,
            max_tokens: 512,
            seed: None,
            ignore_eos: false,
        }
    }
}

impl SamplingParams {
    pub fn greedy(max_tokens: usize) -> Self {
        Self { temperature: 0.0, repeat_penalty: 1.0, max_tokens, ..Self::default() }
    }
}

/// What to do when the conversation does not fit the context window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowPolicy {
    /// Refuse with an error that says how much is too much.
    #[default]
    Error,
    /// Drop the oldest exchanges but keep the system prompt and the first user turn.
    DropOldest,
    /// Drop the oldest exchanges, the first one included (system prompt kept).
    RollingWindow,
}

/// What the overflow policy removed from the prompt. Never empty when present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    /// Indices into `Conversation::messages`.
    pub message_indices: Vec<usize>,
    /// Prompt tokens saved by dropping them.
    pub tokens: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    /// The model ended its answer (end-of-sequence token).
    EndOfText,
    /// `max_tokens` was reached.
    MaxTokens,
    /// The caller pressed stop.
    Cancelled,
    /// The reply was cut off before it ended (a remote server closed the
    /// stream or went quiet); what arrived is kept.
    Interrupted { message: String },
    Error { message: String },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Time from the request to the first generated token, in milliseconds.
    pub ttft_ms: f64,
    pub prompt_tok_per_s: f64,
    pub decode_tok_per_s: f64,
}

/// One provider-neutral stream of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ChatEvent {
    Started {
        prompt_tokens: usize,
        context_limit: usize,
        dropped: Option<Dropped>,
        seed: u64,
    },
    Text {
        delta: String,
    },
    /// Something the person should see while waiting (a busy server being retried).
    Notice {
        message: String,
    },
    Usage(Usage),
    /// Always the last event; `text` is the whole reply as streamed so far.
    Stopped {
        reason: StopReason,
        text: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStage {
    ReadingHeader,
    LoadingWeights,
    StartingEngine,
    Ready,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadProgress {
    pub stage: LoadStage,
    pub elapsed_ms: u64,
}

mod history;
pub use history::*;

mod document;
pub use document::*;
