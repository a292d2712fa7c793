//! One chat's live state and the flow of a reply into it.

use std::collections::HashMap;
use std::sync::Arc;

use desk_protocol::{
    Block, ChatEvent, Dropped, DocumentPatch, OverflowPolicy, ReplyUpdate, SamplingParams, SendRequest, StopReason, Usage,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::{invoke, Channel};
use crate::tree::ChatTree;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplyInfo {
    pub usage: Option<Usage>,
    pub reason: Option<StopReason>,
    pub dropped: Option<Dropped>,
    pub error: Option<String>,
    /// Said while the reply waits (a busy server being retried).
    pub notice: Option<String>,
    pub streaming: bool,
}

/// A rendered block and the revision that produced it. Every patch gets a new
/// revision, so equal revisions mean equal blocks: comparing and cloning a
/// document per streamed token stays cheap however long the reply grows.
#[derive(Clone, Debug)]
pub struct DocBlock {
    pub rev: u64,
    pub block: Arc<Block>,
}

impl PartialEq for DocBlock {
    fn eq(&self, other: &Self) -> bool {
        self.rev == other.rev
    }
}

pub type Doc = Vec<DocBlock>;

#[derive(Clone, Debug, Default)]
pub struct SessionData {
    pub tree: ChatTree,
    pub docs: HashMap<usize, Doc>,
    pub info: HashMap<usize, ReplyInfo>,
    /// Tokens the last reply's prompt and answer took, for the context meter.
    pub context_used: usize,
    pub context_limit: usize,
    revision: u64,
    /// Where this chat lives in the history store, once its first reply is filed.
    pub stored_conv: Option<desk_protocol::ConversationId>,
    /// Tree node -> stored message id.
    pub stored: HashMap<usize, desk_protocol::MessageId>,
    /// Opened from the history with only its last messages rendered.
    pub partial: bool,
    /// The stored title, once the user renamed it or it was opened from the history.
    pub title: Option<String>,
}

impl SessionData {
    /// A chat opened from the history: its active branch, replies pre-rendered.
    pub fn from_stored(opened: desk_protocol::OpenedConversation) -> Self {
        let mut d = SessionData { stored_conv: Some(opened.view.meta.id), ..SessionData::default() };
        let mut question = 0;
        for (b, doc) in opened.view.branch.into_iter().zip(opened.documents) {
            let id = match b.message.role {
                desk_protocol::Role::User => {
                    question = d.tree.push_user(b.message.content);
                    if let Some(doc) = &doc {
                        d.revision += 1;
                        let rev = d.revision;
                        d.docs.insert(question, doc.blocks.iter().cloned().map(|b| DocBlock { rev, block: Arc::new(b) }).collect());
                    } else {
                        d.partial = true;
                    }
                    question
                }
                desk_protocol::Role::Assistant => {
                    let id = d.tree.push_assistant(question);
                    d.tree.set_content(id, b.message.content);
                    let end = b.message.stats.as_ref().and_then(|s| s.end);
                    let info = ReplyInfo {
                        usage: b.message.stats.as_ref().and_then(|s| s.usage.clone()),
                        dropped: b.message.stats.as_ref().and_then(|s| s.dropped.clone()),
                        error: (b.message.status == desk_protocol::MessageStatus::Interrupted || end == Some(desk_protocol::ReplyEnd::Interrupted)).then(|| {
                            let why = b.message.stats.as_ref().and_then(|s| s.error.clone());
                            format!("interrupted: {}", why.unwrap_or_else(|| "the app stopped while this reply was being written".into()))
                        }),
                        ..ReplyInfo::default()
                    };
                    d.info.insert(id, info);
                    if doc.is_none() {
                        d.partial = true;
                    }
                    if let Some(doc) = doc {
                        d.revision += 1;
                        let rev = d.revision;
                        d.docs.insert(id, doc.blocks.into_iter().map(|b| DocBlock { rev, block: Arc::new(b) }).collect());
                    }
                    id
                }
            };
            d.stored.insert(id, b.message.id);
        }
        d
    }

    /// Documents fetched later (a page of earlier messages, a question's render).
    pub fn insert_doc(&mut self, node: usize, doc: desk_protocol::Document) {
        self.revision += 1;
        let rev = self.revision;
        self.docs.insert(node, doc.blocks.into_iter().map(|b| DocBlock { rev, block: Arc::new(b) }).collect());
    }

    fn apply(&mut self, node: usize, patch: DocumentPatch) {
        self.revision += 1;
        let rev = self.revision;
        let doc = self.docs.entry(node).or_default();
        doc.truncate(patch.from);
        doc.extend(patch.blocks.into_iter().map(|b| DocBlock { rev, block: Arc::new(b) }));
    }
}

#[derive(Clone)]
pub struct Session {
    pub id: u64,
    pub data: ArcRwSignal<SessionData>,
}

impl Session {
    pub fn new(id: u64) -> Self {
        Self { id, data: ArcRwSignal::new(SessionData::default()) }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub system: String,
    pub temperature: f32,
    pub top_p: f32,
    pub max_tokens: usize,
    pub policy: OverflowPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self { system: String::new(), temperature: 0.2, top_p: 0.95, max_tokens: 512, policy: OverflowPolicy::DropOldest }
    }
}

/// Have the shell render question `node` (code highlighted, prose as typed);
/// the plain text shows until it arrives.
pub fn render_question(session: &Session, node: usize) {
    let data = session.data.clone();
    let Some(text) = data.with_untracked(|d| d.tree.node(node).map(|n| n.content.clone())) else { return };
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            text: String,
        }
        match invoke::<desk_protocol::Document>("render_question", &Args { text }, &[]).await {
            Ok(doc) => data.update(|d| d.insert_doc(node, doc)),
            Err(e) => leptos::logging::warn!("cannot render the question: {e}"),
        }
    });
}

/// Ask the shell to answer `question` in `session`; the reply streams into a new answer node.
pub fn start_reply(session: Session, question: usize, settings: Settings, busy: RwSignal<bool>) {
    render_question(&session, question);
    let data = session.data.clone();
    let answer = {
        let mut guard = data.write();
        let id = guard.tree.push_assistant(question);
        guard.info.insert(id, ReplyInfo { streaming: true, ..ReplyInfo::default() });
        id
    };
    stream_into(session, question, answer, settings, busy, false);
}

/// Regenerate `answer`: a sibling answer to the same question.
pub fn regenerate(session: Session, answer: usize, settings: Settings, busy: RwSignal<bool>) {
    let data = session.data.clone();
    let ids = {
        let mut guard = data.write();
        let question = guard.tree.node(answer).and_then(|n| n.parent);
        let new = guard.tree.regenerate(answer);
        if let Some(id) = new {
            guard.info.insert(id, ReplyInfo { streaming: true, ..ReplyInfo::default() });
        }
        question.zip(new)
    };
    if let Some((question, new)) = ids {
        stream_into(session, question, new, settings, busy, true);
    }
}

fn stream_into(session: Session, question: usize, answer: usize, settings: Settings, busy: RwSignal<bool>, regenerate: bool) {
    let data = session.data.clone();
    let (conversation, record) = data.with_untracked(|d| {
        let system = (!settings.system.trim().is_empty()).then(|| settings.system.clone());
        let parent = d.tree.node(question).and_then(|n| n.parent).and_then(|p| d.stored.get(&p).copied());
        let stored_question = if regenerate { d.stored.get(&question).copied() } else { None };
        let record = desk_protocol::Record { conversation: d.stored_conv, parent, question: stored_question };
        (d.tree.conversation(system, question), record)
    });
    let params = settings.params();
    let request = SendRequest { conversation, params, policy: settings.policy, record: Some(record) };
    busy.set(true);
    let sink = data.clone();
    let channel = Channel::new(move |update: ReplyUpdate| {
        sink.update(|d| on_update(d, question, answer, update));
    });
    spawn_local(async move {
        let result = match channel {
            Ok(channel) => {
                #[derive(serde::Serialize)]
                struct Args {
                    request: SendRequest,
                }
                let r = invoke::<()>("send", &Args { request }, &[("onEvent", &channel)]).await;
                // Keep the channel (and its callback) alive until the shell is done with it.
                drop(channel);
                r
            }
            Err(e) => Err(e),
        };
        data.update(|d| {
            let info = d.info.entry(answer).or_default();
            info.streaming = false;
            if let Err(e) = result {
                info.error = Some(e);
            }
        });
        busy.set(false);
    });
}

fn on_update(d: &mut SessionData, question: usize, answer: usize, update: ReplyUpdate) {
    if let Some(ids) = update.stored {
        d.stored_conv = Some(ids.conversation);
        d.stored.insert(question, ids.question);
        d.stored.insert(answer, ids.answer);
    }
    if let Some(patch) = update.patch {
        d.apply(answer, patch);
    }
    match update.event {
        ChatEvent::Started { prompt_tokens, context_limit, dropped, .. } => {
            d.context_used = prompt_tokens;
            d.context_limit = context_limit;
            d.info.entry(answer).or_default().dropped = dropped;
        }
        ChatEvent::Notice { message } => d.info.entry(answer).or_default().notice = Some(message),
        ChatEvent::Text { delta } => {
            d.info.entry(answer).or_default().notice = None;
            d.tree.append(answer, &delta);
            d.context_used += 1;
        }
        ChatEvent::Usage(usage) => {
            d.context_used = usage.prompt_tokens + usage.completion_tokens;
            d.info.entry(answer).or_default().usage = Some(usage);
        }
        ChatEvent::Stopped { reason, text } => {
            d.tree.set_content(answer, text);
            let info = d.info.entry(answer).or_default();
            info.streaming = false;
            info.notice = None;
            match &reason {
                StopReason::Error { message } => info.error = Some(message.clone()),
                StopReason::Interrupted { message } => info.error = Some(format!("interrupted: {message}")),
                _ => {}
            }
            info.reason = Some(reason);
        }
    }
}

impl Settings {
    /// Sampling for a reply, a completion or a fill.
    pub fn params(&self) -> SamplingParams {
        SamplingParams { temperature: self.temperature, top_p: self.top_p, max_tokens: self.max_tokens, ..SamplingParams::default() }
    }
}
