//! Importing a JSON export: new ids, everything else exactly as exported.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use desk_protocol::{ConversationId, MessageId, MessageStatus, StoredMessage};
use rusqlite::{params, Connection};

use crate::error::{Result, StoreError};
use crate::export::{ExportedConversation, HistoryExport, EXPORT_FORMAT, EXPORT_VERSION};
use crate::open::Store;
use crate::rows::{end_str, finite, role_str, status_str};

impl Store {
    /// Imports every conversation of a `HistoryExport`, all or none; returns
    /// the new ids in file order.
    pub fn import_json(&self, input: &mut dyn Read) -> Result<Vec<ConversationId>> {
        let file: HistoryExport =
            serde_json::from_reader(input).map_err(|e| StoreError::Import(format!("{e}")))?;
        if file.format != EXPORT_FORMAT {
            return Err(StoreError::Import(format!(
                "format is {:?}, expected {EXPORT_FORMAT:?}",
                file.format
            )));
        }
        if file.version > EXPORT_VERSION {
            return Err(StoreError::Import(format!(
                "export version {} is newer than this app reads ({EXPORT_VERSION}); update Codellama Desk",
                file.version
            )));
        }
        let run = || -> Result<Vec<ConversationId>> {
            let tx = self.conn.unchecked_transaction()?;
            let ids = file
                .conversations
                .iter()
                .map(|c| insert(&tx, c))
                .collect::<Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(ids)
        };
        run().map_err(|e| self.ctx(e))
    }

    pub(crate) fn import_one(&self, conversation: &ExportedConversation) -> Result<ConversationId> {
        let run = || -> Result<ConversationId> {
            let tx = self.conn.unchecked_transaction()?;
            let id = insert(&tx, conversation)?;
            tx.commit()?;
            Ok(id)
        };
        run().map_err(|e| self.ctx(e))
    }
}

fn insert(conn: &Connection, c: &ExportedConversation) -> Result<ConversationId> {
    let order = parents_first(c)?;
    let m = &c.meta;
    conn.execute(
        "INSERT INTO conversations (title, created, updated, model, settings, system_prompt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            m.title,
            m.created_ms,
            m.updated_ms,
            m.model,
            m.settings_json,
            m.system
        ],
    )?;
    let conversation = conn.last_insert_rowid();
    let mut new_ids: HashMap<MessageId, MessageId> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO messages (conversation_id, parent_id, role, content, status, created, reply_end, error,
             prompt_tokens, completion_tokens, ttft_ms, prompt_tok_per_s, decode_tok_per_s, seed, dropped)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for msg in order {
        let parent = msg.parent.and_then(|p| new_ids.get(&p).copied());
        let stats = msg.stats.as_ref();
        let usage = stats.and_then(|s| s.usage.as_ref());
        let dropped = stats
            .and_then(|s| s.dropped.as_ref())
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Import(format!("dropped of message {}: {e}", msg.id)))?;
        // A reply still streaming in the exporting app has no writer here.
        let status = match msg.status {
            MessageStatus::Streaming => MessageStatus::Interrupted,
            s => s,
        };
        stmt.execute(params![
            conversation,
            parent,
            role_str(msg.role),
            msg.content,
            status_str(status),
            msg.created_ms,
            stats.and_then(|s| s.end).map(end_str),
            stats.and_then(|s| s.error.clone()),
            usage.map(|u| u.prompt_tokens as i64),
            usage.map(|u| u.completion_tokens as i64),
            usage.map(|u| finite(u.ttft_ms)),
            usage.map(|u| finite(u.prompt_tok_per_s)),
            usage.map(|u| finite(u.decode_tok_per_s)),
            stats.and_then(|s| s.seed).map(|s| s as i64),
            dropped,
        ])?;
        new_ids.insert(msg.id, conn.last_insert_rowid());
    }
    let leaf = m.active_leaf.and_then(|l| new_ids.get(&l).copied());
    conn.execute(
        "UPDATE conversations SET active_leaf = ?2 WHERE id = ?1",
        params![conversation, leaf],
    )?;
    Ok(conversation)
}

/// The messages ordered so every parent comes before its children, or an
/// error naming the message whose parent is missing or part of a cycle.
fn parents_first(c: &ExportedConversation) -> Result<Vec<&StoredMessage>> {
    let mut seen = HashSet::new();
    for m in &c.messages {
        if !seen.insert(m.id) {
            return Err(StoreError::Import(format!(
                "message id {} appears twice in conversation {}",
                m.id, c.meta.id
            )));
        }
    }
    let mut placed: HashSet<MessageId> = HashSet::new();
    let mut order = Vec::with_capacity(c.messages.len());
    let mut pending: Vec<&StoredMessage> = c.messages.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|m| {
            let ready = m.parent.is_none_or(|p| placed.contains(&p));
            if ready {
                placed.insert(m.id);
                order.push(*m);
            }
            !ready
        });
        if pending.len() == before {
            let m = pending[0];
            return Err(StoreError::Import(format!(
                "message {} in conversation {} has parent {:?}, which is missing or part of a cycle",
                m.id, c.meta.id, m.parent
            )));
        }
    }
    Ok(order)
}
