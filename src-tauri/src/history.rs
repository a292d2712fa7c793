//! The shell's side of the history store: filing replies as they stream and
//! opening stored conversations for the window.

use std::path::Path;
use std::sync::Mutex;

use desk_protocol::{ConversationSummary, Message, OpenedConversation, Role, SendRequest, StoredIds};
use desk_store::{NewConversation, ReplyWriter, Store};

use crate::error::UiError;

pub struct History {
    // `Store` is Send but not Sync; replies stream through their own writer connections.
    store: Mutex<Store>,
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
        Ok(Self { store: Mutex::new(store) })
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
            .map(|(i, b)| (i >= first_rendered && b.message.role == Role::Assistant).then(|| desk_render::render(&b.message.content)))
            .collect();
        Ok(OpenedConversation { view, documents })
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
