//! Recording conversations and reading them back: the message tree, the
//! active branch, and the sidebar list.

use std::collections::HashMap;

use desk_protocol::{
    BranchMessage, Conversation, ConversationId, ConversationMeta, ConversationSummary,
    ConversationView, Message, MessageId, MessageStatus, Role, StoredMessage,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::rows::{
    meta_from_row, role_str, summary_from_row, RawMessage, MESSAGE_COLUMNS, META_COLUMNS,
};
use crate::time::now_ms;
use desk_protocol::auto_title;

/// What is known when a conversation starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewConversation {
    /// Empty: titled from the first question.
    pub title: String,
    pub model: Option<String>,
    /// Sampling and context settings as JSON, kept verbatim.
    pub settings_json: Option<String>,
    pub system: Option<String>,
}

impl Store {
    pub fn create_conversation(&self, new: &NewConversation) -> Result<ConversationId> {
        let now = now_ms();
        self.conn
            .execute(
                "INSERT INTO conversations (title, created, updated, model, settings, system_prompt)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
                params![new.title, now, new.model, new.settings_json, new.system],
            )
            .map_err(|e| self.ctx(e.into()))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Adds a finished message under `parent` (`None`: a first message) and
    /// makes it the active leaf. Editing and resending a question is adding
    /// the new text under the old question's parent: the old branch stays.
    /// The first user message titles an untitled conversation.
    pub fn add_message(
        &self,
        conversation: ConversationId,
        parent: Option<MessageId>,
        message: &Message,
    ) -> Result<MessageId> {
        self.add_with_status(conversation, parent, message, MessageStatus::Complete)
            .map_err(|e| self.ctx(e))
    }

    pub(crate) fn add_with_status(
        &self,
        conversation: ConversationId,
        parent: Option<MessageId>,
        message: &Message,
        status: MessageStatus,
    ) -> Result<MessageId> {
        let tx = self.conn.unchecked_transaction()?;
        let title = conversation_title(&tx, conversation)?;
        if let Some(parent) = parent {
            check_in_conversation(&tx, conversation, parent)?;
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                conversation,
                parent,
                role_str(message.role),
                message.content,
                crate::rows::status_str(status),
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        let title = if title.is_empty() && message.role == Role::User {
            auto_title(&message.content)
        } else {
            title
        };
        tx.execute(
            "UPDATE conversations SET active_leaf = ?2, updated = ?3, title = ?4 WHERE id = ?1",
            params![conversation, id, now, title],
        )?;
        tx.commit()?;
        Ok(id)
    }

    pub fn meta(&self, conversation: ConversationId) -> Result<ConversationMeta> {
        read_meta(&self.conn, conversation).map_err(|e| self.ctx(e))
    }

    /// Every message of every branch, in the order they were written.
    pub fn messages(&self, conversation: ConversationId) -> Result<Vec<StoredMessage>> {
        read_messages(&self.conn, conversation).map_err(|e| self.ctx(e))
    }

    /// The conversation as the chat view shows it: the active branch, root
    /// first, with the alternatives at each position.
    pub fn view(&self, conversation: ConversationId) -> Result<ConversationView> {
        let run = || -> Result<ConversationView> {
            // One snapshot: a writer in another process cannot move the leaf
            // between the two reads.
            let tx = self.conn.unchecked_transaction()?;
            let view = build_view(
                read_meta(&tx, conversation)?,
                read_messages(&tx, conversation)?,
            );
            tx.finish()?;
            Ok(view)
        };
        run().map_err(|e| self.ctx(e))
    }

    /// The active branch as the engine takes it, to continue a conversation
    /// (`desk chat --resume`). Interrupted replies come back as far as they
    /// were written; the last message may be the user's when no reply was made.
    pub fn resume(&self, conversation: ConversationId) -> Result<Conversation> {
        let view = self.view(conversation)?;
        Ok(Conversation {
            system: view.meta.system,
            messages: view
                .branch
                .into_iter()
                .map(|b| Message {
                    role: b.message.role,
                    content: b.message.content,
                })
                .collect(),
        })
    }

    /// Makes the branch through `message` active, following the newest reply
    /// below it, and returns the new view.
    pub fn switch_branch(
        &self,
        conversation: ConversationId,
        message: MessageId,
    ) -> Result<ConversationView> {
        let meta = self.meta(conversation)?;
        let all = self.messages(conversation)?;
        if !all.iter().any(|m| m.id == message) {
            return Err(self.owner_error(conversation, message));
        }
        let children = children_of(&all);
        let mut leaf = message;
        while let Some(newest) = children.get(&Some(leaf)).and_then(|c| c.last()) {
            leaf = *newest;
        }
        self.conn
            .execute(
                "UPDATE conversations SET active_leaf = ?2 WHERE id = ?1",
                params![conversation, leaf],
            )
            .map_err(|e| self.ctx(e.into()))?;
        Ok(build_view(
            ConversationMeta {
                active_leaf: Some(leaf),
                ..meta
            },
            all,
        ))
    }

    /// Most recently updated first.
    pub fn list(&self, offset: u64, limit: u64) -> Result<Vec<ConversationSummary>> {
        let run = || -> Result<Vec<ConversationSummary>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT c.id, c.title, c.created, c.updated, c.model,
                        (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
                 FROM conversations c ORDER BY c.updated DESC, c.id DESC LIMIT ?1 OFFSET ?2",
            )?;
            let rows = stmt.query_map(params![clamp(limit), clamp(offset)], summary_from_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        run().map_err(|e| self.ctx(e))
    }

    pub fn count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))
            .map_err(|e| self.ctx(e.into()))?;
        Ok(n.max(0) as u64)
    }

    /// Sets the title; an empty title is titled again from the first question.
    pub fn rename(&self, conversation: ConversationId, title: &str) -> Result<()> {
        let mut title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            let first: Option<String> = self
                .conn
                .query_row(
                    "SELECT content FROM messages WHERE conversation_id = ?1 AND role = 'user' ORDER BY id LIMIT 1",
                    [conversation],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.ctx(e.into()))?;
            title = first.map(|q| auto_title(&q)).unwrap_or_default();
        }
        let n = self
            .conn
            .execute(
                "UPDATE conversations SET title = ?2 WHERE id = ?1",
                params![conversation, title],
            )
            .map_err(|e| self.ctx(e.into()))?;
        if n == 0 {
            return Err(StoreError::NoConversation(conversation));
        }
        Ok(())
    }

    pub(crate) fn owner_error(
        &self,
        conversation: ConversationId,
        message: MessageId,
    ) -> StoreError {
        match check_in_conversation(&self.conn, conversation, message) {
            Err(e) => self.ctx(e),
            Ok(()) => StoreError::NoMessage(message),
        }
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn conversation_title(conn: &Connection, conversation: ConversationId) -> Result<String> {
    conn.query_row(
        "SELECT title FROM conversations WHERE id = ?1",
        [conversation],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(StoreError::NoConversation(conversation))
}

pub(crate) fn check_in_conversation(
    conn: &Connection,
    conversation: ConversationId,
    message: MessageId,
) -> Result<()> {
    let owner: Option<i64> = conn
        .query_row(
            "SELECT conversation_id FROM messages WHERE id = ?1",
            [message],
            |r| r.get(0),
        )
        .optional()?;
    match owner {
        None => Err(StoreError::NoMessage(message)),
        Some(c) if c != conversation => Err(StoreError::WrongConversation {
            conversation,
            message,
        }),
        Some(_) => Ok(()),
    }
}

pub(crate) fn read_meta(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<ConversationMeta> {
    let sql = format!("SELECT {META_COLUMNS} FROM conversations WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([conversation], meta_from_row)
        .optional()?
        .ok_or(StoreError::NoConversation(conversation))
}

pub(crate) fn read_messages(
    conn: &Connection,
    conversation: ConversationId,
) -> Result<Vec<StoredMessage>> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let raw = stmt
        .query_map([conversation], RawMessage::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter().map(RawMessage::parse).collect()
}

/// Children of each message (`None`: the roots), oldest first.
fn children_of(all: &[StoredMessage]) -> HashMap<Option<MessageId>, Vec<MessageId>> {
    let mut children: HashMap<Option<MessageId>, Vec<MessageId>> = HashMap::new();
    for m in all {
        children.entry(m.parent).or_default().push(m.id);
    }
    children
}

fn build_view(meta: ConversationMeta, all: Vec<StoredMessage>) -> ConversationView {
    let children = children_of(&all);
    let by_id: HashMap<MessageId, &StoredMessage> = all.iter().map(|m| (m.id, m)).collect();
    // Without a recorded leaf (an import from elsewhere), show the newest branch.
    let leaf = meta
        .active_leaf
        .filter(|id| by_id.contains_key(id))
        .or_else(|| {
            let mut at = *children.get(&None)?.last()?;
            while let Some(newest) = children.get(&Some(at)).and_then(|c| c.last()) {
                at = *newest;
            }
            Some(at)
        });
    let mut path = Vec::new();
    let mut at = leaf;
    // The bound stops a parent cycle in a damaged file from looping forever.
    while let Some(id) = at.filter(|_| path.len() <= all.len()) {
        let Some(m) = by_id.get(&id) else { break };
        path.push(*m);
        at = m.parent;
    }
    path.reverse();
    let branch = path
        .into_iter()
        .map(|m| BranchMessage {
            siblings: children.get(&m.parent).cloned().unwrap_or_default(),
            message: m.clone(),
        })
        .collect();
    ConversationView { meta, branch }
}
