//! What the desktop shell and the UI say to each other, beyond chat events.

use serde::{Deserialize, Serialize};

use crate::{ChatEvent, Conversation, ModelFacts, OverflowPolicy, SamplingParams};

/// A GGUF found in a models folder, usable or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub path: String,
    pub file_name: String,
    pub facts: Option<ModelFacts>,
    /// Why the file cannot be used, in words.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    NoModel,
    Loading { path: String },
    Ready { facts: ModelFacts, context_limit: usize, load_ms: u64 },
    Failed { path: String, error: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub conversation: Conversation,
    pub params: SamplingParams,
    pub policy: OverflowPolicy,
}

/// One step of a streamed reply: the engine's event and, for text, the
/// rendered blocks that changed, so the UI patches only those.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyUpdate {
    pub event: ChatEvent,
    pub patch: Option<crate::DocumentPatch>,
}
