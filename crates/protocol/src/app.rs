//! What the desktop shell and the UI say to each other, beyond chat events.

use serde::{Deserialize, Serialize};

use crate::{ChatEvent, Conversation, FitEstimate, ModelFacts, OverflowPolicy, SamplingParams};

/// How much of the prompt a draft will become is already computed (prefill
/// while the user types): `ready` of its first `total` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Prefill {
    pub ready: usize,
    pub total: usize,
}

/// A model served by another program (llama-server, vLLM, mistralrs-server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteInfo {
    /// The server's base URL, as configured (`http://127.0.0.1:8080/v1`).
    pub url: String,
    /// The model's id on that server.
    pub model: String,
    /// Prompts go out as our own token ids (exact); otherwise the server
    /// applies its chat template and `note` says so.
    pub token_ids: bool,
    pub note: Option<String>,
}

/// What the Remote server form shows: the saved server, never its key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteSettings {
    pub url: String,
    pub model: Option<String>,
    /// A key is saved (in the data folder, readable by the user only).
    pub has_key: bool,
}

/// Connect to (or test) a server. `key: None` keeps the saved key; `Some("")` forgets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteRequest {
    pub url: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

/// The app's local OpenAI-compatible API while it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalApi {
    /// Base URL for clients (`http://127.0.0.1:8677/v1`).
    pub url: String,
    pub key: String,
}

/// A GGUF found in a models folder, usable or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub path: String,
    pub file_name: String,
    pub facts: Option<ModelFacts>,
    /// Why the file cannot be used, in words.
    pub error: Option<String>,
    /// Memory needed at the model's own context, against what is available.
    #[serde(default)]
    pub fit: Option<FitEstimate>,
}

/// A Code Llama file the app can download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// Command-line name, e.g. `codellama-7b-instruct:q4_k_m`.
    pub name: String,
    pub repo: String,
    pub file: String,
    pub flavour: crate::Flavour,
    pub size_b: u32,
    pub quant: String,
    /// From the model card; the exact size comes from the hub at download time.
    pub approx_bytes: u64,
    pub infill: bool,
    /// Already in the library.
    pub present: bool,
}

/// How far a download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullProgress {
    pub downloaded: u64,
    pub total: u64,
}

/// Plain continuation of the user's text (completion mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteRequest {
    pub text: String,
    pub params: SamplingParams,
}

/// Fill the hole between `prefix` and `suffix` (Code Llama infilling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillRequest {
    pub prefix: String,
    pub suffix: String,
    pub params: SamplingParams,
}

/// Where a hole is marked in pasted code.
pub const FILL_MARKER: &str = "<FILL>";

/// Split `code` at its one `<FILL>` marker; `None` when there is none or more than one.
pub fn split_at_marker(code: &str) -> Option<(&str, &str)> {
    let (prefix, suffix) = code.split_once(FILL_MARKER)?;
    (!suffix.contains(FILL_MARKER)).then_some((prefix, suffix))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    NoModel,
    Loading { path: String },
    Ready {
        facts: ModelFacts,
        context_limit: usize,
        load_ms: u64,
        /// Set when the model runs on a server, not in this app.
        #[serde(default)]
        remote: Option<RemoteInfo>,
    },
    Failed { path: String, error: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub conversation: Conversation,
    pub params: SamplingParams,
    pub policy: OverflowPolicy,
    /// Where the exchange goes in the history; `None` keeps it out of it.
    #[serde(default)]
    pub record: Option<Record>,
}

/// How a reply is filed in the history store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `None` starts a new stored conversation.
    pub conversation: Option<crate::ConversationId>,
    /// The stored parent of the question (`None` for a first question).
    pub parent: Option<crate::MessageId>,
    /// Set when the question is already stored (regenerate): only the reply is added.
    pub question: Option<crate::MessageId>,
}

/// Where an exchange was filed, sent once at the start of a recorded reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredIds {
    pub conversation: crate::ConversationId,
    pub question: crate::MessageId,
    pub answer: crate::MessageId,
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_marker_splits_the_code() {
        assert_eq!(super::split_at_marker("a<FILL>b"), Some(("a", "b")));
        assert_eq!(super::split_at_marker("ab"), None);
        assert_eq!(super::split_at_marker("a<FILL>b<FILL>"), None);
    }
}

/// A stored conversation opened in the window: its active branch, with each
/// reply already rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenedConversation {
    pub view: crate::ConversationView,
    /// One per branch message; `Some` for replies.
    pub documents: Vec<Option<crate::Document>>,
}

/// One step of a streamed reply: the engine's event and, for text, the
/// rendered blocks that changed, so the UI patches only those.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyUpdate {
    pub event: ChatEvent,
    pub patch: Option<crate::DocumentPatch>,
    #[serde(default)]
    pub stored: Option<StoredIds>,
}
