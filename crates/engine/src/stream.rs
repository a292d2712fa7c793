//! A reply as a `futures::Stream` of [`ChatEvent`]s that can be stopped at any token.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use desk_protocol::{ChatEvent, Conversation, OverflowPolicy, SamplingParams, StopReason, Usage};
use futures::task::AtomicWaker;
use mistralrs::core::{Constraint, NormalRequest, Request, RequestMessage};
use mistralrs::Response;
use tokio::sync::mpsc::Receiver;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::sampler::{Sampler, SamplerConfig, TokenClock};

/// Stops a reply from anywhere (the UI's stop button, Ctrl-C).
#[derive(Clone, Default)]
pub struct CancelHandle(Arc<CancelState>);

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    waker: AtomicWaker,
}

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.waker.wake();
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }
    /// Wake `waker` when [`cancel`](Self::cancel) is called (for streams made outside this crate).
    pub fn register(&self, waker: &std::task::Waker) {
        self.0.waker.register(waker);
    }
}

pub struct ReplyStream {
    rx: Option<Receiver<Response>>,
    cancel: CancelHandle,
    pending: VecDeque<ChatEvent>,
    text: String,
    chunks: usize,
    prompt_tokens: usize,
    started_at: Instant,
    first_text_at: Option<Instant>,
    clock: Arc<Mutex<TokenClock>>,
    decoder: Decoder,
    done: bool,
    in_flight: crate::runner::InFlight,
}

/// Turns the sampler's ids into text deltas with our tokenizer, each id
/// decoded once, holding back an incomplete UTF-8 sequence until its last
/// byte arrives.
struct Decoder {
    tokenizer: Arc<desk_tokenizer::Tokenizer>,
    /// Drop SentencePiece's leading space (a chat reply), or keep it (a continuation).
    strip_prefix: bool,
    /// Ids that end the reply and are not shown, even when they are plain pieces.
    skip: Vec<u32>,
    /// Ids decoded so far.
    seen: usize,
    /// Bytes decoded but not yet yielded: the start of a UTF-8 sequence.
    held: Vec<u8>,
    /// Whether any byte was decoded yet (the leading space is only the first one's).
    started: bool,
}

impl Decoder {
    /// `fresh`: the ids chosen since the last call.
    fn delta(&mut self, fresh: &[u32], last: bool) -> Option<String> {
        self.seen += fresh.len();
        let fresh: Vec<u32> = fresh.iter().copied().filter(|id| !self.skip.contains(id)).collect();
        let mut bytes = self.tokenizer.decode(&fresh, !self.started && self.strip_prefix);
        self.started |= !bytes.is_empty();
        self.held.append(&mut bytes);
        let complete = match std::str::from_utf8(&self.held) {
            Ok(s) => s.len(),
            Err(e) if !last => e.valid_up_to(),
            Err(_) => self.held.len(),
        };
        if complete == 0 {
            return None;
        }
        let out: Vec<u8> = self.held.drain(..complete).collect();
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

/// The end of a reply, as collected by [`ReplyStream::collect_reply`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub reason: StopReason,
    pub usage: Usage,
}

impl Engine {
    /// Start answering the last user message of `conv`.
    pub async fn stream(
        &self,
        conv: &Conversation,
        params: &SamplingParams,
        policy: OverflowPolicy,
    ) -> Result<ReplyStream, EngineError> {
        let fitted = self.fit_prompt(conv, params, policy).await?;
        self.start(fitted.tokens, fitted.dropped, params, &[], None).await
    }

    /// Start generating after exactly `tokens` (benchmarks, and callers that
    /// built their own prompt). `dropped` is passed through to `Started`.
    pub async fn stream_tokens(
        &self,
        tokens: Vec<u32>,
        dropped: Option<desk_protocol::Dropped>,
        params: &SamplingParams,
    ) -> Result<ReplyStream, EngineError> {
        self.stream_tokens_until(tokens, dropped, params, &[]).await
    }

    /// [`stream_tokens`](Self::stream_tokens), also ending at any of `stop` (not shown).
    pub(crate) async fn stream_tokens_until(
        &self,
        tokens: Vec<u32>,
        dropped: Option<desk_protocol::Dropped>,
        params: &SamplingParams,
        stop: &[u32],
    ) -> Result<ReplyStream, EngineError> {
        self.start(tokens, dropped, params, stop, None).await.map(|s| s.keep_leading_space())
    }

    /// Every request goes out here; `forced` makes the one token it may produce.
    pub(crate) async fn start(
        &self,
        tokens: Vec<u32>,
        dropped: Option<desk_protocol::Dropped>,
        params: &SamplingParams,
        stop: &[u32],
        forced: Option<u32>,
    ) -> Result<ReplyStream, EngineError> {
        // A request that continues a recent prompt (the next turn, the send
        // after a prefill) keeps the cache it is about to reuse.
        let reuses = self.continues_recent(&tokens);
        let most = tokens.len() + params.max_tokens.min(self.context_limit.saturating_sub(tokens.len()));
        let (in_flight, recycled) = self.runner.admit(most, reuses).await;
        if recycled {
            self.forget_recent();
        }
        if forced.is_none() {
            self.note_prompt(&tokens);
            if let Ok(mut last) = self.last_prompt.lock() {
                last.clone_from(&tokens);
            }
        }
        let prompt_tokens = tokens.len();
        let room = self.context_limit.saturating_sub(prompt_tokens).max(1);
        let seed = params.seed.unwrap_or_else(fresh_seed);
        let sampler = Sampler::new(SamplerConfig {
            temperature: params.temperature,
            top_k: params.top_k,
            top_p: params.top_p,
            seed,
            banned: if params.ignore_eos { self.eos.clone() } else { Vec::new() },
            stop_as: self.eos.first().filter(|_| !stop.is_empty()).map(|&eos| (stop.to_vec(), eos)),
            forced,
        })
        .counting(self.runner.sampled.clone());
        let clock = sampler.clock.clone();
        let mut sampling = mistralrs::SamplingParams::neutral();
        sampling.max_len = Some(params.max_tokens.min(room).max(1));
        if !stop.is_empty() && self.eos.is_empty() {
            sampling.stop_toks = Some(mistralrs::StopTokens::Ids(stop.to_vec()));
        }
        if (params.repeat_penalty - 1.0).abs() > f32::EPSILON {
            sampling.repetition_penalty = Some(params.repeat_penalty);
        }
        let skip: Vec<u32> = self.eos.iter().chain(stop).copied().collect();
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let request = Request::Normal(Box::new(NormalRequest {
            messages: RequestMessage::CompletionTokens(tokens),
            sampling_params: sampling,
            response: tx,
            return_logprobs: false,
            is_streaming: true,
            id: self.runner.get().next_request_id(),
            constraint: Constraint::None,
            suffix: None,
            tools: None,
            tool_choice: None,
            logits_processors: Some(vec![Arc::new(sampler)]),
            return_raw_logits: false,
            web_search_options: None,
            model_id: None,
            truncate_sequence: false,
        }));
        let started_at = Instant::now();
        self.send(request).await?;
        let mut pending = VecDeque::new();
        pending.push_back(ChatEvent::Started {
            prompt_tokens,
            context_limit: self.context_limit,
            dropped,
            seed,
        });
        Ok(ReplyStream {
            rx: Some(rx),
            cancel: CancelHandle::default(),
            pending,
            text: String::new(),
            chunks: 0,
            prompt_tokens,
            started_at,
            first_text_at: None,
            clock,
            decoder: Decoder { tokenizer: self.tokenizer().clone(), strip_prefix: true, skip, seen: 0, held: Vec::new(), started: false },
            done: false,
            in_flight,
        })
    }
}

impl ReplyStream {
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// A continuation (completion, infill): its first space is text.
    fn keep_leading_space(mut self) -> Self {
        self.decoder.strip_prefix = false;
        self
    }

    /// The text of the ids chosen so far that has not been yielded yet.
    fn queue_text(&mut self, last: bool) {
        let seen = self.decoder.seen;
        let ids = self.clock.lock().map(|c| c.ids.get(seen..).unwrap_or_default().to_vec()).unwrap_or_default();
        if let Some(delta) = self.decoder.delta(&ids, last) {
            self.first_text_at.get_or_insert_with(Instant::now);
            self.pending.push_back(ChatEvent::Text { delta });
        }
    }

    /// Drain the stream, calling `on_text` for each delta.
    pub async fn collect_reply(mut self, mut on_text: impl FnMut(&str)) -> Reply {
        use futures::StreamExt;
        let mut usage = Usage::default();
        while let Some(event) = self.next().await {
            match event {
                ChatEvent::Text { delta } => on_text(&delta),
                ChatEvent::Usage(u) => usage = u,
                ChatEvent::Stopped { reason, text } => return Reply { text, reason, usage },
                ChatEvent::Started { .. } | ChatEvent::Notice { .. } => {}
            }
        }
        Reply { text: self.text, reason: StopReason::Error { message: "the stream ended early".into() }, usage }
    }

    fn finish(&mut self, reason: StopReason) {
        // Dropping the receiver is what tells mistralrs to cancel the sequence.
        self.rx = None;
        self.done = true;
        self.in_flight.leave_lane();
        // The final text is what was yielded plus what is queued to be yielded.
        let mut text = self.text.clone();
        let mut chunks = self.chunks;
        for event in &self.pending {
            if let ChatEvent::Text { delta } = event {
                text.push_str(delta);
                chunks += 1;
            }
        }
        let clock = self.clock.lock().map(|c| c.clone()).unwrap_or_default();
        let completion_tokens = if reason == StopReason::Cancelled { chunks } else { clock.tokens.max(chunks) };
        let first = clock.first.or(self.first_text_at);
        let prefill_s = first.map(|f| f.duration_since(self.started_at).as_secs_f64()).unwrap_or(0.0);
        let decode_s = match (clock.first, clock.last) {
            (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
            _ => 0.0,
        };
        let rate = |n: usize, s: f64| if s > 0.0 { n as f64 / s } else { 0.0 };
        let usage = Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens,
            ttft_ms: self.first_text_at.or(first).map(|f| f.duration_since(self.started_at).as_secs_f64() * 1e3).unwrap_or(0.0),
            prompt_tok_per_s: rate(self.prompt_tokens, prefill_s),
            decode_tok_per_s: rate(clock.tokens.saturating_sub(1), decode_s),
        };
        self.pending.push_back(ChatEvent::Usage(usage));
        self.pending.push_back(ChatEvent::Stopped { reason, text });
    }

    fn on_response(&mut self, response: Response) {
        match response {
            // mistralrs's own text is not used: it trims the first delta's
            // leading whitespace, which is indentation in a continuation.
            Response::CompletionChunk(chunk) => {
                let finished = chunk.choices.iter().find_map(|c| c.finish_reason.clone());
                self.queue_text(finished.is_some());
                if let Some(reason) = finished {
                    self.finish(map_finish(&reason));
                }
            }
            Response::CompletionDone(done) => {
                self.queue_text(true);
                let reason = done.choices.first().map(|c| map_finish(&c.finish_reason)).unwrap_or(StopReason::EndOfText);
                self.finish(reason);
            }
            Response::CompletionModelError(message, _) => self.finish(StopReason::Error { message }),
            Response::InternalError(e) | Response::ValidationError(e) => {
                self.finish(StopReason::Error { message: e.to_string() })
            }
            Response::ModelError(message, _) => self.finish(StopReason::Error { message }),
            // Chat-shaped responses are never asked for: prompts go in as tokens.
            _ => {}
        }
    }
}

fn map_finish(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndOfText,
        "length" => StopReason::MaxTokens,
        "canceled" => StopReason::Cancelled,
        other => StopReason::Error { message: format!("generation stopped: {other}") },
    }
}

/// Kept below 2^53 so the seed survives a trip through JSON and JavaScript numbers.
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0x5eed);
    nanos & ((1 << 53) - 1)
}

impl futures::Stream for ReplyStream {
    type Item = ChatEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ChatEvent>> {
        let this = &mut *self;
        loop {
            // Stop takes effect before any further text: a reply cancelled after
            // N deltas contains exactly those N.
            if this.cancel.is_cancelled() && !this.done {
                this.pending.retain(|e| !matches!(e, ChatEvent::Text { .. }));
                this.finish(StopReason::Cancelled);
            }
            if let Some(event) = this.pending.pop_front() {
                if let ChatEvent::Text { delta } = &event {
                    this.text.push_str(delta);
                    this.chunks += 1;
                }
                return Poll::Ready(Some(event));
            }
            if this.done {
                return Poll::Ready(None);
            }
            this.cancel.0.waker.register(cx.waker());
            let Some(rx) = this.rx.as_mut() else {
                return Poll::Ready(None);
            };
            match rx.poll_recv(cx) {
                Poll::Ready(Some(response)) => this.on_response(response),
                Poll::Ready(None) => this.finish(StopReason::Error { message: "the engine stopped".into() }),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
