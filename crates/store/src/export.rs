//! Export to JSON (complete, for import) and Markdown (the active branch, for people).

use std::io::Write;

use desk_protocol::{
    ConversationId, ConversationMeta, MessageStatus, ReplyEnd, Role, StoredMessage,
};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::conversations::{read_messages, read_meta};
use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::time::human;

pub const EXPORT_FORMAT: &str = "codellama-desk-history";
pub const EXPORT_VERSION: u32 = 1;

/// One conversation with every branch, exactly as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedConversation {
    pub meta: ConversationMeta,
    /// Parents before children.
    pub messages: Vec<StoredMessage>,
}

/// The JSON export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryExport {
    pub format: String,
    pub version: u32,
    pub conversations: Vec<ExportedConversation>,
}

pub(crate) fn export_one(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<ExportedConversation> {
    Ok(ExportedConversation {
        meta: read_meta(conn, conversation)?,
        messages: read_messages(conn, conversation)?,
    })
}

impl Store {
    pub fn export(&self, conversation: ConversationId) -> Result<ExportedConversation> {
        export_one(&self.conn, conversation).map_err(|e| self.ctx(e))
    }

    /// Writes a `HistoryExport` of the given conversations (all when `None`,
    /// most recent first) one at a time, so a large history is never all in memory.
    pub fn export_json(
        &self,
        conversations: Option<&[ConversationId]>,
        out: &mut dyn Write,
    ) -> Result<()> {
        let ids = self.ids_or_all(conversations)?;
        write!(
            out,
            "{{\"format\":\"{EXPORT_FORMAT}\",\"version\":{EXPORT_VERSION},\"conversations\":["
        )?;
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            let one = self.export(*id)?;
            serde_json::to_writer(&mut *out, &one).map_err(|e| StoreError::Io(e.into()))?;
        }
        out.write_all(b"]}\n")?;
        Ok(())
    }

    /// The active branch of each conversation as Markdown (all when `None`).
    pub fn export_markdown(
        &self,
        conversations: Option<&[ConversationId]>,
        out: &mut dyn Write,
    ) -> Result<()> {
        let ids = self.ids_or_all(conversations)?;
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.write_all(b"\n---\n\n")?;
            }
            let view = self.view(*id)?;
            let total = self.messages(*id)?.len();
            write_markdown(
                out,
                &view.meta,
                view.branch.iter().map(|b| &b.message),
                total,
            )?;
        }
        Ok(())
    }

    fn ids_or_all(&self, conversations: Option<&[ConversationId]>) -> Result<Vec<ConversationId>> {
        match conversations {
            Some(ids) => Ok(ids.to_vec()),
            None => {
                let run = || -> rusqlite::Result<Vec<ConversationId>> {
                    let mut stmt = self
                        .conn
                        .prepare("SELECT id FROM conversations ORDER BY updated DESC, id DESC")?;
                    let ids = stmt.query_map([], |r| r.get(0))?.collect();
                    ids
                };
                run().map_err(|e| self.ctx(e.into()))
            }
        }
    }
}

fn write_markdown<'a>(
    out: &mut dyn Write,
    meta: &ConversationMeta,
    branch: impl Iterator<Item = &'a StoredMessage>,
    total: usize,
) -> Result<()> {
    let title = if meta.title.is_empty() {
        "Untitled conversation"
    } else {
        &meta.title
    };
    writeln!(out, "# {title}\n")?;
    if let Some(model) = &meta.model {
        writeln!(out, "- Model: {model}")?;
    }
    writeln!(out, "- Started: {}", human(meta.created_ms))?;
    writeln!(out, "- Last message: {}", human(meta.updated_ms))?;
    let mut shown = 0;
    let mut body = Vec::new();
    for m in branch {
        shown += 1;
        let who = match m.role {
            Role::User => "You",
            Role::Assistant => "Assistant",
        };
        writeln!(body, "\n## {who}\n\n{}", m.content.trim_end())?;
        if let Some(line) = stats_line(m) {
            writeln!(body, "\n*{line}*")?;
        }
    }
    if total > shown {
        writeln!(
            out,
            "- Shows the active branch; {} message(s) on other branches are in the JSON export",
            total - shown
        )?;
    }
    if let Some(system) = meta.system.as_deref().filter(|s| !s.trim().is_empty()) {
        writeln!(out, "\n## System prompt\n\n{}", system.trim_end())?;
    }
    out.write_all(&body)?;
    Ok(())
}

fn stats_line(m: &StoredMessage) -> Option<String> {
    let stats = m.stats.as_ref()?;
    let mut parts = Vec::new();
    match (m.status, stats.end) {
        (MessageStatus::Interrupted, _) | (_, Some(ReplyEnd::Interrupted)) => {
            parts.push("interrupted".to_string())
        }
        (_, Some(ReplyEnd::Stopped)) => parts.push("stopped".to_string()),
        (_, Some(ReplyEnd::MaxTokens)) => parts.push("cut at the token limit".to_string()),
        (_, Some(ReplyEnd::Error)) | (MessageStatus::Error, _) => parts.push(format!(
            "error: {}",
            stats.error.as_deref().unwrap_or("unknown")
        )),
        _ => {}
    }
    if let Some(u) = &stats.usage {
        parts.push(format!(
            "{} tokens · {:.1} tok/s · first token after {:.0} ms",
            u.completion_tokens, u.decode_tok_per_s, u.ttft_ms
        ));
    }
    if let Some(d) = &stats.dropped {
        parts.push(format!(
            "{} earlier message(s) left out of the context",
            d.message_indices.len()
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
