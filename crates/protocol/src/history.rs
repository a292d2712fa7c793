//! Stored conversation history as the sidebar, the chat view and the CLI see it.
//!
//! Ids are the database's row ids; timestamps are Unix milliseconds (UTC) so
//! the UI can format them in the user's own time zone.

use serde::{Deserialize, Serialize};

use crate::{Dropped, Role, StopReason, Usage};

pub type ConversationId = i64;
pub type MessageId = i64;

/// One row of the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    /// Empty until the first question (auto-title) or a rename.
    pub title: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub model: Option<String>,
    /// All messages, every branch included.
    pub message_count: u64,
}

/// Everything recorded about a conversation except its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationMeta {
    pub id: ConversationId,
    pub title: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub model: Option<String>,
    /// The settings in force when the conversation was recorded, as the JSON
    /// text the caller gave (kept verbatim so export/import is exact).
    pub settings_json: Option<String>,
    pub system: Option<String>,
    /// The last message of the branch the user is looking at.
    pub active_leaf: Option<MessageId>,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Complete,
    /// A reply being written right now.
    Streaming,
    /// The writer died (crash, kill, power loss): the text is what was flushed.
    Interrupted,
    Error,
}

/// Why a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyEnd {
    /// The model ended its answer.
    Finished,
    /// `max_tokens` was reached; the answer may be cut short.
    MaxTokens,
    /// The user pressed stop.
    Stopped,
    /// The process died while the reply streamed.
    Interrupted,
    Error,
}

impl ReplyEnd {
    pub fn from_stop(reason: &StopReason) -> Self {
        match reason {
            StopReason::EndOfText => Self::Finished,
            StopReason::MaxTokens => Self::MaxTokens,
            StopReason::Cancelled => Self::Stopped,
            StopReason::Interrupted { .. } => Self::Interrupted,
            StopReason::Error { .. } => Self::Error,
        }
    }
}

/// What is known about how a reply was produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplyStats {
    pub end: Option<ReplyEnd>,
    pub error: Option<String>,
    pub usage: Option<Usage>,
    /// What the context policy left out of the prompt for this reply.
    pub dropped: Option<Dropped>,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: MessageId,
    /// `None` for the first message; several messages with one parent are the
    /// branches made by editing and resending.
    pub parent: Option<MessageId>,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub created_ms: i64,
    /// Replies only.
    pub stats: Option<ReplyStats>,
}

/// A message on the active branch, with the alternatives at its position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchMessage {
    pub message: StoredMessage,
    /// Ids of all messages sharing this one's parent, oldest first, this one
    /// included; more than one means the UI can offer "< 2/3 >".
    pub siblings: Vec<MessageId>,
}

/// A conversation opened in the chat view: the active branch, root first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationView {
    pub meta: ConversationMeta,
    pub branch: Vec<BranchMessage>,
}

/// A piece of a search snippet; `hit` pieces are the matched words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    pub message_id: MessageId,
    pub role: Role,
    /// Structured rather than marked-up text so neither a terminal nor HTML
    /// has to escape anything.
    pub snippet: Vec<SnippetPart>,
    /// bm25 score: lower is a better match.
    pub rank: f64,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Best match (lowest bm25) first.
    pub hits: Vec<SearchHit>,
    /// `Some(n)`: the words matched so many messages that only the newest `n`
    /// matches were ranked; more words narrow it down.
    pub ranked_newest: Option<u64>,
}

impl SearchHit {
    /// The snippet with the hits wrapped in `open`/`close` (e.g. ANSI bold).
    pub fn snippet_marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        for part in &self.snippet {
            if part.hit {
                out.push_str(open);
                out.push_str(&part.text);
                out.push_str(close);
            } else {
                out.push_str(&part.text);
            }
        }
        out
    }
}
