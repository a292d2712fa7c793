//! Between SQL rows and protocol types.

use desk_protocol::{
    ConversationMeta, ConversationSummary, Dropped, MessageStatus, ReplyEnd, ReplyStats, Role,
    StoredMessage, Usage,
};
use rusqlite::Row;

use crate::error::{Result, StoreError};

pub(crate) const MESSAGE_COLUMNS: &str =
    "id, parent_id, role, content, status, created, reply_end, error, \
     prompt_tokens, completion_tokens, ttft_ms, prompt_tok_per_s, decode_tok_per_s, seed, dropped";

pub(crate) const META_COLUMNS: &str =
    "id, title, created, updated, model, settings, system_prompt, active_leaf";

pub(crate) fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    match s {
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(StoreError::InvalidData(format!("role {other:?}"))),
    }
}

pub(crate) fn status_str(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Complete => "complete",
        MessageStatus::Streaming => "streaming",
        MessageStatus::Interrupted => "interrupted",
        MessageStatus::Error => "error",
    }
}

fn parse_status(s: &str) -> Result<MessageStatus> {
    Ok(match s {
        "complete" => MessageStatus::Complete,
        "streaming" => MessageStatus::Streaming,
        "interrupted" => MessageStatus::Interrupted,
        "error" => MessageStatus::Error,
        other => return Err(StoreError::InvalidData(format!("message status {other:?}"))),
    })
}

pub(crate) fn end_str(end: ReplyEnd) -> &'static str {
    match end {
        ReplyEnd::Finished => "finished",
        ReplyEnd::MaxTokens => "max_tokens",
        ReplyEnd::Stopped => "stopped",
        ReplyEnd::Interrupted => "interrupted",
        ReplyEnd::Error => "error",
    }
}

fn parse_end(s: &str) -> Result<ReplyEnd> {
    Ok(match s {
        "finished" => ReplyEnd::Finished,
        "max_tokens" => ReplyEnd::MaxTokens,
        "stopped" => ReplyEnd::Stopped,
        "interrupted" => ReplyEnd::Interrupted,
        "error" => ReplyEnd::Error,
        other => return Err(StoreError::InvalidData(format!("reply end {other:?}"))),
    })
}

/// Raw columns, read inside the rusqlite closure; parsed outside it so a bad
/// value becomes a `StoreError` naming the value.
pub(crate) struct RawMessage {
    id: i64,
    parent: Option<i64>,
    role: String,
    content: String,
    status: String,
    created: i64,
    end: Option<String>,
    error: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    ttft_ms: Option<f64>,
    prompt_tps: Option<f64>,
    decode_tps: Option<f64>,
    seed: Option<i64>,
    dropped: Option<String>,
}

impl RawMessage {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            parent: r.get(1)?,
            role: r.get(2)?,
            content: r.get(3)?,
            status: r.get(4)?,
            created: r.get(5)?,
            end: r.get(6)?,
            error: r.get(7)?,
            prompt_tokens: r.get(8)?,
            completion_tokens: r.get(9)?,
            ttft_ms: r.get(10)?,
            prompt_tps: r.get(11)?,
            decode_tps: r.get(12)?,
            seed: r.get(13)?,
            dropped: r.get(14)?,
        })
    }

    pub(crate) fn parse(self) -> Result<StoredMessage> {
        let role = parse_role(&self.role)?;
        let usage = match (self.prompt_tokens, self.completion_tokens) {
            (Some(p), Some(c)) => Some(Usage {
                prompt_tokens: usize::try_from(p)
                    .map_err(|_| StoreError::InvalidData(format!("token count {p}")))?,
                completion_tokens: usize::try_from(c)
                    .map_err(|_| StoreError::InvalidData(format!("token count {c}")))?,
                ttft_ms: self.ttft_ms.unwrap_or(0.0),
                prompt_tok_per_s: self.prompt_tps.unwrap_or(0.0),
                decode_tok_per_s: self.decode_tps.unwrap_or(0.0),
            }),
            _ => None,
        };
        let dropped: Option<Dropped> = match &self.dropped {
            Some(json) => Some(
                serde_json::from_str(json)
                    .map_err(|e| StoreError::InvalidData(format!("dropped {json:?}: {e}")))?,
            ),
            None => None,
        };
        let end = self.end.as_deref().map(parse_end).transpose()?;
        let has_stats = end.is_some()
            || self.error.is_some()
            || usage.is_some()
            || dropped.is_some()
            || self.seed.is_some();
        let stats = (role == Role::Assistant || has_stats).then(|| ReplyStats {
            end,
            error: self.error,
            usage,
            dropped,
            // Stored as the same 64 bits: SQLite integers are signed.
            seed: self.seed.map(|s| s as u64),
        });
        Ok(StoredMessage {
            id: self.id,
            parent: self.parent,
            role,
            content: self.content,
            status: parse_status(&self.status)?,
            created_ms: self.created,
            stats,
        })
    }
}

/// Non-finite figures cannot live in JSON exports; a reply that produced
/// no tokens has no rate, which is stored as 0.
pub(crate) fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

pub(crate) fn meta_from_row(r: &Row<'_>) -> rusqlite::Result<ConversationMeta> {
    Ok(ConversationMeta {
        id: r.get(0)?,
        title: r.get(1)?,
        created_ms: r.get(2)?,
        updated_ms: r.get(3)?,
        model: r.get(4)?,
        settings_json: r.get(5)?,
        system: r.get(6)?,
        active_leaf: r.get(7)?,
    })
}

pub(crate) fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_ms: r.get(2)?,
        updated_ms: r.get(3)?,
        model: r.get(4)?,
        message_count: r.get::<_, i64>(5)?.max(0) as u64,
    })
}
