//! The boundary between a caller (the window, the local API) and whatever
//! produces replies: this crate's [`Engine`], or a scripted fake in UI tests.

use std::pin::Pin;

use desk_protocol::{ChatEvent, Conversation, ModelFacts, OverflowPolicy, Prefill, RemoteInfo, SamplingParams, StopReason, Usage};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::stream::{CancelHandle, Reply, ReplyStream};

pub type EventStream = Pin<Box<dyn Stream<Item = ChatEvent> + Send>>;
pub type ProgressFn = Box<dyn FnMut(Prefill) + Send>;

/// What a backend is doing, for health checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendStats {
    /// Requests generating now (one at a time; others wait their turn).
    pub in_flight: usize,
    /// Tokens sampled since the backend was made, every request together.
    pub sampled: u64,
}

pub trait Backend: Send + Sync {
    fn facts(&self) -> ModelFacts;
    fn context_limit(&self) -> usize;
    fn load_ms(&self) -> u64;
    fn stats(&self) -> BackendStats {
        BackendStats::default()
    }
    /// Where the model runs when it is not in this process.
    fn remote(&self) -> Option<RemoteInfo> {
        None
    }
    fn stream<'a>(
        &'a self,
        conv: &'a Conversation,
        params: &'a SamplingParams,
        policy: OverflowPolicy,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>>;
    fn count_tokens<'a>(&'a self, conv: &'a Conversation) -> BoxFuture<'a, Result<usize, EngineError>>;
    /// Compute the stable part of the prompt that sending `draft` after `conv`
    /// will make, until `stop` fires (at a chunk boundary).
    fn prefill<'a>(
        &'a self,
        conv: &'a Conversation,
        draft: &'a str,
        stop: &'a CancelHandle,
        progress: ProgressFn,
    ) -> BoxFuture<'a, Result<Prefill, EngineError>>;
    /// Continue `text` (completion mode).
    fn complete<'a>(&'a self, text: &'a str, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>>;
    /// Continue exactly `tokens` (a prompt the caller built, as OpenAI-compatible
    /// servers accept it).
    fn complete_tokens<'a>(&'a self, tokens: Vec<u32>, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        let _ = (tokens, params);
        Box::pin(async { Err(EngineError::BadConversation("this model takes text prompts, not token ids".into())) })
    }
    /// Fill the hole between `prefix` and `suffix`.
    fn infill<'a>(
        &'a self,
        prefix: &'a str,
        suffix: &'a str,
        params: &'a SamplingParams,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>>;
}

/// Drain a reply, calling `on_text` for each delta (and `on_notice` for notices).
pub async fn collect_reply(mut stream: EventStream, mut on_text: impl FnMut(&str), mut on_notice: impl FnMut(&str)) -> Reply {
    let mut usage = Usage::default();
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            ChatEvent::Text { delta } => {
                text.push_str(&delta);
                on_text(&delta)
            }
            ChatEvent::Notice { message } => on_notice(&message),
            ChatEvent::Usage(u) => usage = u,
            ChatEvent::Stopped { reason, text } => return Reply { text, reason, usage },
            ChatEvent::Started { .. } => {}
        }
    }
    Reply { text, reason: StopReason::Error { message: "the stream ended early".into() }, usage }
}

fn boxed(stream: ReplyStream) -> (EventStream, CancelHandle) {
    let cancel = stream.cancel_handle();
    (Box::pin(stream) as EventStream, cancel)
}

impl Backend for Engine {
    fn facts(&self) -> ModelFacts {
        Engine::facts(self).clone()
    }
    fn context_limit(&self) -> usize {
        Engine::context_limit(self)
    }
    fn load_ms(&self) -> u64 {
        self.load_ms
    }
    fn stats(&self) -> BackendStats {
        BackendStats { in_flight: self.runner.in_flight(), sampled: self.runner.sampled.load(std::sync::atomic::Ordering::Relaxed) }
    }
    fn stream<'a>(
        &'a self,
        conv: &'a Conversation,
        params: &'a SamplingParams,
        policy: OverflowPolicy,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move { Ok(boxed(Engine::stream(self, conv, params, policy).await?)) })
    }
    fn count_tokens<'a>(&'a self, conv: &'a Conversation) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move { Ok(self.prompt_tokens(conv).await?.len()) })
    }
    fn prefill<'a>(
        &'a self,
        conv: &'a Conversation,
        draft: &'a str,
        stop: &'a CancelHandle,
        progress: ProgressFn,
    ) -> BoxFuture<'a, Result<Prefill, EngineError>> {
        Box::pin(async move {
            let tokens = self.draft_prefix(conv, draft).await?;
            Engine::prefill(self, &tokens, stop, progress).await
        })
    }
    fn complete<'a>(&'a self, text: &'a str, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move { Ok(boxed(Engine::complete(self, text, params).await?)) })
    }
    fn complete_tokens<'a>(&'a self, tokens: Vec<u32>, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move {
            let vocab = self.tokenizer().vocab_size();
            if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
                return Err(EngineError::BadConversation(format!("token id {bad} is past the vocabulary ({vocab} pieces)")));
            }
            let (limit, reply) = (self.context_limit, params.max_tokens.max(1));
            if tokens.is_empty() {
                return Err(EngineError::NoQuestion);
            }
            if tokens.len() + reply > limit {
                return Err(EngineError::ContextOverflow { needed: tokens.len() + reply, prompt: tokens.len(), reply, limit });
            }
            Ok(boxed(Engine::stream_tokens(self, tokens, None, params).await?))
        })
    }
    fn infill<'a>(
        &'a self,
        prefix: &'a str,
        suffix: &'a str,
        params: &'a SamplingParams,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move { Ok(boxed(Engine::infill(self, prefix, suffix, params).await?)) })
    }
}
