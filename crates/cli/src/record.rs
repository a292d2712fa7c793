//! Recording `desk ask` / `desk chat` turns in the history store.
//!
//! Saving is best effort: whatever goes wrong with the store, the answer on
//! screen is never lost; the user gets one warning and recording stops.

use std::path::Path;

use anyhow::{Context, Result};
use desk_protocol::{ChatEvent, ConversationId, Message, MessageId, ReplyEnd, SamplingParams};
use desk_store::{NewConversation, OpenReport, ReplyWriter, Store};

/// Opens the history store in the data folder, telling the user (one line on
/// stderr each) about a database moved aside or replies a dead process left.
pub fn open_store() -> Result<Store> {
    let dir = desk_engine::discover::data_dir();
    open_store_in(&dir)
}

fn open_store_in(dir: &Path) -> Result<Store> {
    let (store, report) = Store::open(dir).with_context(|| format!("cannot open the conversation history in {}", dir.display()))?;
    tell(&report);
    Ok(store)
}

fn tell(report: &OpenReport) {
    if let Some(moved) = &report.moved_aside {
        eprintln!(
            "note: the conversation history was unreadable ({}); it was moved to {} and a fresh one started",
            moved.reason,
            moved.to.display()
        );
    }
    if report.interrupted > 0 {
        eprintln!(
            "note: {} reply(ies) cut off when an earlier desk or app stopped are kept, marked interrupted",
            report.interrupted
        );
    }
}

/// Where the next turn of the terminal conversation goes in the store.
pub struct Recorder {
    store: Option<Store>,
    template: NewConversation,
    conversation: Option<ConversationId>,
    /// The last kept message of the branch being continued.
    leaf: Option<MessageId>,
}

impl Recorder {
    /// A recorder that saves nothing (`--no-save`).
    pub fn off() -> Self {
        Recorder { store: None, template: NewConversation::default(), conversation: None, leaf: None }
    }

    /// Opens the store; when it cannot be opened, warns and records nothing.
    pub fn open(model: &str, params: &SamplingParams, system: Option<String>) -> Self {
        match open_store() {
            Ok(store) => Self::with_store(store, model, params, system),
            Err(e) => {
                warn(&e);
                Self::off()
            }
        }
    }

    pub fn with_store(store: Store, model: &str, params: &SamplingParams, system: Option<String>) -> Self {
        let settings_json = serde_json::to_string(params).ok();
        Recorder {
            store: Some(store),
            template: NewConversation { title: String::new(), model: Some(model.to_string()), settings_json, system },
            conversation: None,
            leaf: None,
        }
    }

    /// Continue a stored conversation below `leaf` instead of starting a new one.
    pub fn continue_at(&mut self, conversation: ConversationId, leaf: Option<MessageId>) {
        self.conversation = Some(conversation);
        self.leaf = leaf;
    }

    /// The next message starts a new stored conversation (`/reset`).
    pub fn reset(&mut self) {
        self.conversation = None;
        self.leaf = None;
    }

    /// Applies to conversations started from now on; a stored conversation
    /// keeps the system prompt it was started with.
    pub fn set_system(&mut self, system: Option<String>) {
        self.template.system = system;
    }

    pub fn conversation(&self) -> Option<ConversationId> {
        self.conversation
    }

    /// Records the question and opens the reply that the stream will fill.
    pub fn begin_turn(&mut self, question: &str) -> Turn {
        let Some(store) = &self.store else { return Turn::none() };
        let started = (|| -> Result<ReplyWriter> {
            let conversation = match self.conversation {
                Some(c) => c,
                None => store.create_conversation(&self.template)?,
            };
            self.conversation = Some(conversation);
            let question = store.add_message(conversation, self.leaf, &Message::user(question))?;
            Ok(store.begin_reply(conversation, question)?)
        })();
        match started {
            Ok(writer) => Turn { writer: Some(writer), reply: None, failed: false },
            Err(e) => {
                warn(&e);
                self.store = None;
                Turn::none()
            }
        }
    }

    /// Ends a turn: a kept reply becomes where the next question goes; a
    /// dropped one (an error) stays in the store as a side branch.
    pub fn end_turn(&mut self, turn: Turn, kept: bool) {
        if turn.failed {
            self.store = None;
            return;
        }
        if kept {
            if let Some(reply) = turn.reply.or(turn.writer.as_ref().map(ReplyWriter::id)) {
                self.leaf = Some(reply);
            }
        }
    }
}

/// The reply being recorded while it streams.
pub struct Turn {
    writer: Option<ReplyWriter>,
    /// The reply's id once the writer is done with it.
    reply: Option<MessageId>,
    /// The store failed: the warning is out and recording stops.
    failed: bool,
}

impl Turn {
    pub fn none() -> Self {
        Turn { writer: None, reply: None, failed: false }
    }

    /// Feeds one stream event to the store as it arrives.
    pub fn record(&mut self, event: &ChatEvent) {
        let Some(writer) = &mut self.writer else { return };
        let id = writer.id();
        let mut result = writer.record(event);
        // The first words are committed at once, so a reply killed early is never empty;
        // after that the writer commits on its own interval.
        if result.is_ok() && matches!(event, ChatEvent::Text { .. }) && writer.flushed_len() == 0 && !writer.text().is_empty() {
            result = writer.flush();
        }
        if matches!(event, ChatEvent::Stopped { .. }) {
            self.reply = Some(id);
            self.writer = None;
        }
        if let Err(e) = result {
            warn(&anyhow::Error::new(e));
            // Dropping the writer saves what it can, marked interrupted.
            self.writer = None;
            self.failed = true;
        }
    }

    /// The reply never streamed (the engine refused it): record why.
    pub fn fail(&mut self, message: &str) {
        if let Some(mut writer) = self.writer.take() {
            self.reply = Some(writer.id());
            if let Err(e) = writer.finish(ReplyEnd::Error, Some(message.to_string()), None) {
                warn(&anyhow::Error::new(e));
                self.failed = true;
            }
        }
    }
}

fn warn(e: &anyhow::Error) {
    eprintln!("warning: not saving this conversation to history: {e:#}");
}
