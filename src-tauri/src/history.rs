//! The shell's side of the history store: filing replies as they stream and
//! opening stored conversations for the window.

use std::path::Path;
use std::sync::Mutex;

use desk_protocol::{ConversationId, ConversationSummary, Document, ExportFormat, Message, MessageId, OpenedConversation, Role, SendRequest, StoreNotice, StoredIds};
use desk_store::{NewConversation, ReplyWriter, Store};

use crate::error::UiError;

pub struct History {
    // `Store` is Send but not Sync; replies stream through their own writer connections.
    store: Mutex<Store>,
    /// The database was unreadable at start and moved aside: the window says so.
    pub notice: Option<StoreNotice>,
}

fn store_err(e: desk_store::StoreError) -> UiError {
    UiError::Other(format!("history: {e}"))
}

impl History {
    /// Open (or create) the store in `dir`; a damaged file is moved aside, and
    /// where it went is printed, never silently lost.
    pub fn open(dir: &Path) -> Result<Self, UiError> {
        let (store, report) = Store::open(dir).map_err(store_err)?;
        if let Some(moved) = &report.moved_aside {
            eprintln!("history: the old database was unreadable ({}) and was moved to {}", moved.reason, moved.to.display());
        }
        let notice = report.moved_aside.map(|m| StoreNotice { moved_to: m.to.display().to_string(), reason: m.reason });
        Ok(Self { store: Mutex::new(store), notice })
    }

    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, desk_store::StoreError>) -> Result<T, UiError> {
        let store = self.store.lock().map_err(|_| UiError::Other("history: the store lock was poisoned".into()))?;
        f(&store).map_err(store_err)
    }

    pub fn list(&self) -> Result<Vec<ConversationSummary>, UiError> {
        self.with(|s| s.list(0, 200))
    }

    pub fn search(&self, query: &str) -> Result<desk_protocol::SearchResults, UiError> {
        self.with(|s| s.search(query, 0, 30))
    }

    pub fn open_conversation(&self, id: desk_protocol::ConversationId) -> Result<OpenedConversation, UiError> {
        self.open_tail(id, None)
    }

    /// Open with every message's text but rendered documents only for the last
    /// `tail` messages (all when `None`): a long chat paints its end first,
    /// and the window asks for the rest when the user scrolls back to it.
    pub fn open_tail(&self, id: desk_protocol::ConversationId, tail: Option<usize>) -> Result<OpenedConversation, UiError> {
        let view = self.with(|s| s.view(id))?;
        let first_rendered = tail.map_or(0, |t| view.branch.len().saturating_sub(t));
        let documents = view
            .branch
            .iter()
            .enumerate()
            .map(|(i, b)| (i >= first_rendered).then(|| document(b.message.role, &b.message.content)))
            .collect();
        Ok(OpenedConversation { view, documents })
    }

    /// The rendered documents of `messages` (a page of earlier messages the
    /// window shows when asked), in the order given.
    pub fn documents(&self, id: ConversationId, messages: &[MessageId]) -> Result<Vec<Document>, UiError> {
        let stored = self.with(|s| s.messages(id))?;
        messages
            .iter()
            .map(|m| {
                let msg = stored.iter().find(|x| x.id == *m).ok_or_else(|| UiError::Other(format!("message {m} is not in conversation {id}")))?;
                Ok(document(msg.role, &msg.content))
            })
            .collect()
    }

    pub fn rename(&self, id: ConversationId, title: &str) -> Result<String, UiError> {
        self.with(|s| {
            s.rename(id, title)?;
            Ok(s.meta(id)?.title)
        })
    }

    /// Deleted for good: the store scrubs the text from its files.
    pub fn delete(&self, id: ConversationId) -> Result<(), UiError> {
        self.with(|s| s.delete(id)).map(|_| ())
    }

    /// Writes the export of `ids` (all when `None`) to `out`; how many it held.
    pub fn export(&self, ids: Option<&[ConversationId]>, format: ExportFormat, out: &mut dyn std::io::Write) -> Result<usize, UiError> {
        self.with(|s| {
            let n = match ids {
                Some(ids) => {
                    // Checked first, so a stale id writes no file.
                    for id in ids {
                        s.meta(*id)?;
                    }
                    ids.len()
                }
                None => s.count()? as usize,
            };
            match format {
                ExportFormat::Markdown => s.export_markdown(ids, out)?,
                ExportFormat::Json => s.export_json(ids, out)?,
                ExportFormat::Html => s.export_html(ids, out)?,
            }
            Ok(n)
        })
    }

    /// Imports a JSON export, all or nothing; the new conversations' ids.
    pub fn import(&self, json: &str) -> Result<Vec<ConversationId>, UiError> {
        self.with(|s| s.import_json(&mut json.as_bytes()))
    }

    /// File the question (unless already stored) and open a writer for the reply.
    pub fn start(&self, request: &SendRequest, model: &str) -> Result<Option<(StoredIds, ReplyWriter)>, UiError> {
        let Some(record) = &request.record else { return Ok(None) };
        let question_text = request.conversation.messages.last().map(|m| m.content.clone()).unwrap_or_default();
        self.with(|s| {
            let conversation = match record.conversation {
                Some(id) => id,
                None => s.create_conversation(&NewConversation {
                    title: String::new(),
                    model: Some(model.to_string()),
                    settings_json: serde_json::to_string(&request.params).ok(),
                    system: request.conversation.system.clone(),
                })?,
            };
            let question = match record.question {
                Some(id) => id,
                None => s.add_message(conversation, record.parent, &Message::user(question_text))?,
            };
            let writer = s.begin_reply(conversation, question)?;
            let ids = StoredIds { conversation, question, answer: writer.id() };
            Ok(Some((ids, writer)))
        })
    }
}

/// A message as the window shows it: a reply as markdown, a question as typed
/// with its code highlighted.
pub fn document(role: Role, content: &str) -> Document {
    match role {
        Role::Assistant => desk_render::render(content),
        Role::User => desk_render::render_question(content),
    }
}
