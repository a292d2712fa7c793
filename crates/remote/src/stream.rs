//! One reply from a server: a task reads its SSE stream and turns it into the
//! same [`ChatEvent`]s a local reply makes. A cut, a stall or garbage ends the
//! reply with what arrived kept; stopping drops the connection, which is how
//! OpenAI-compatible servers learn to stop generating.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use desk_engine::{CancelHandle, EngineError};
use desk_protocol::{ChatEvent, StopReason, Usage};
use futures::Stream;
use reqwest::Url;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::http::{snippet, Http};
use crate::sse::SseDecoder;

/// Which OpenAI route, so the delta is read from the right place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Completions,
    Chat,
}

pub struct Job {
    pub http: Arc<Http>,
    pub url: Url,
    pub body: Value,
    pub route: Route,
    /// Drop the first delta's leading space: SentencePiece's word marker on a
    /// chat reply, which a local reply does not show either.
    pub strip_space: bool,
    pub stall: Duration,
    /// Known when the prompt went out as our ids; 0 when the server built it.
    pub prompt_tokens: usize,
    pub context_limit: usize,
    pub dropped: Option<desk_protocol::Dropped>,
    pub seed: u64,
    pub what: String,
}

type Item = Result<ChatEvent, EngineError>;

/// Start `job`; the refusals a person must act on (no server, wrong key, no
/// such model) come back as `Err` before any event.
pub async fn start(job: Job) -> Result<(RemoteStream, CancelHandle), EngineError> {
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(pump(job, tx));
    let first = match rx.recv().await {
        Some(Err(e)) => return Err(e),
        Some(Ok(event)) => event,
        None => return Err(EngineError::Remote("the remote reply ended before it started".into())),
    };
    let cancel = CancelHandle::default();
    let stream = RemoteStream { rx, first: Some(first), cancel: cancel.clone(), text: String::new(), deltas: 0, prompt_tokens: 0, stop: None, task, done: false };
    Ok((stream, cancel))
}

pub struct RemoteStream {
    rx: mpsc::Receiver<Item>,
    first: Option<ChatEvent>,
    cancel: CancelHandle,
    /// What was yielded: the reply a stop keeps.
    text: String,
    deltas: usize,
    prompt_tokens: usize,
    /// The `Stopped` that follows the `Usage` of a stop.
    stop: Option<ChatEvent>,
    task: tokio::task::JoinHandle<()>,
    done: bool,
}

impl Drop for RemoteStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream for RemoteStream {
    type Item = ChatEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ChatEvent>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(this.stop.take());
        }
        if this.cancel.is_cancelled() {
            // Aborting the task drops the response, closing the connection.
            this.task.abort();
            this.done = true;
            this.stop = Some(ChatEvent::Stopped { reason: StopReason::Cancelled, text: std::mem::take(&mut this.text) });
            // As a local stop counts: the deltas shown.
            let usage = Usage { prompt_tokens: this.prompt_tokens, completion_tokens: this.deltas, ..Usage::default() };
            return Poll::Ready(Some(ChatEvent::Usage(usage)));
        }
        this.cancel.register(cx.waker());
        let event = match this.first.take() {
            Some(e) => e,
            None => match this.rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(e))) => e,
                Poll::Ready(Some(Err(e))) => ChatEvent::Stopped { reason: StopReason::Error { message: e.to_string() }, text: this.text.clone() },
                Poll::Ready(None) => ChatEvent::Stopped {
                    reason: StopReason::Interrupted { message: "the remote reply ended without its last event".into() },
                    text: this.text.clone(),
                },
            },
        };
        match &event {
            ChatEvent::Started { prompt_tokens, .. } => this.prompt_tokens = *prompt_tokens,
            ChatEvent::Text { delta } => {
                this.text.push_str(delta);
                this.deltas += 1;
            }
            ChatEvent::Stopped { .. } => this.done = true,
            _ => {}
        }
        Poll::Ready(Some(event))
    }
}

/// What the reading loop knows about the reply so far.
struct Progress {
    text: String,
    deltas: usize,
    finish: Option<StopReason>,
    usage: Option<Value>,
    timings: Option<Value>,
    sent_at: Instant,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
}

async fn pump(job: Job, tx: mpsc::Sender<Item>) {
    let notices = tx.clone();
    let mut notice = move |message: String| {
        let _ = notices.try_send(Ok(ChatEvent::Notice { message }));
    };
    let sent_at = Instant::now();
    let response = match job.http.send(job.url.clone(), Some(&job.body), &job.what, &mut notice).await {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let server = job.http.address.shown();
    let content_type = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !content_type.starts_with("text/event-stream") {
        let body = response.text().await.unwrap_or_default();
        let message = format!("{server} answered with {content_type:?} instead of an event stream: {}", snippet(&body));
        let _ = tx.send(Err(EngineError::Remote(message))).await;
        return;
    }
    let started = ChatEvent::Started { prompt_tokens: job.prompt_tokens, context_limit: job.context_limit, dropped: job.dropped.clone(), seed: job.seed };
    if tx.send(Ok(started)).await.is_err() {
        return;
    }
    let mut p = Progress { text: String::new(), deltas: 0, finish: None, usage: None, timings: None, sent_at, first_at: None, last_at: None };
    let end = read(&job, response, &tx, &mut p, &server).await;
    let reason = match end {
        Ok(()) => p.finish.clone().unwrap_or(StopReason::EndOfText),
        Err(reason) => reason,
    };
    let _ = tx.send(Ok(ChatEvent::Usage(usage(&job, &p)))).await;
    let _ = tx.send(Ok(ChatEvent::Stopped { reason, text: p.text })).await;
}

/// Read events until `[DONE]`; `Err` is how the reply ended early.
async fn read(job: &Job, mut response: reqwest::Response, tx: &mpsc::Sender<Item>, p: &mut Progress, server: &str) -> Result<(), StopReason> {
    let mut decoder = SseDecoder::default();
    let secs = job.stall.as_secs_f64();
    loop {
        let chunk = match tokio::time::timeout(job.stall, response.chunk()).await {
            Err(_) => {
                return Err(StopReason::Interrupted { message: format!("{server} sent nothing for {secs:.0} s; the reply so far is kept") });
            }
            Ok(Err(e)) => {
                return Err(StopReason::Interrupted { message: format!("the connection to {server} broke mid-reply ({e}); the reply so far is kept") })
            }
            Ok(Ok(None)) => {
                let last = decoder.finish();
                if let Some(data) = last {
                    if on_data(job, &data, tx, p, server).await? {
                        return Ok(());
                    }
                }
                if p.finish.is_some() {
                    return Ok(()); // ended without [DONE]: some servers do
                }
                return Err(StopReason::Interrupted { message: format!("{server} closed the stream before the reply ended; the reply so far is kept") });
            }
            Ok(Ok(Some(bytes))) => bytes,
        };
        let events = decoder
            .push(&chunk)
            .map_err(|why| StopReason::Error { message: format!("{server} sent a malformed event stream ({why})") })?;
        for data in events {
            if on_data(job, &data, tx, p, server).await? {
                return Ok(());
            }
        }
    }
}

/// One event's data; `Ok(true)` at the end of the stream.
async fn on_data(job: &Job, data: &str, tx: &mpsc::Sender<Item>, p: &mut Progress, server: &str) -> Result<bool, StopReason> {
    if data.trim() == "[DONE]" {
        return Ok(true);
    }
    let value: Value = serde_json::from_str(data)
        .map_err(|_| StopReason::Error { message: format!("{server} sent an event that is not JSON: {}", snippet(data)) })?;
    if let Some(err) = value.get("error") {
        let message = err.get("message").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| err.to_string());
        return Err(StopReason::Error { message: format!("{server} stopped with an error: {message}") });
    }
    if let Some(u) = value.get("usage").filter(|u| u.is_object()) {
        p.usage = Some(u.clone());
    }
    if let Some(t) = value.get("timings").filter(|t| t.is_object()) {
        p.timings = Some(t.clone());
    }
    let Some(choice) = value.get("choices").and_then(Value::as_array).and_then(|c| c.first()) else {
        return Ok(false);
    };
    let delta = match job.route {
        Route::Completions => choice.get("text"),
        Route::Chat => choice.pointer("/delta/content"),
    };
    if let Some(mut delta) = delta.and_then(Value::as_str) {
        if p.text.is_empty() && job.strip_space {
            delta = delta.strip_prefix(' ').unwrap_or(delta);
        }
        if !delta.is_empty() {
            let now = Instant::now();
            p.first_at.get_or_insert(now);
            p.last_at = Some(now);
            p.text.push_str(delta);
            p.deltas += 1;
            if tx.send(Ok(ChatEvent::Text { delta: delta.to_string() })).await.is_err() {
                return Ok(true);
            }
        }
    }
    if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
        p.finish = Some(match reason {
            "stop" | "eos" => StopReason::EndOfText,
            "length" => StopReason::MaxTokens,
            other => StopReason::Error { message: format!("{server} stopped the reply: {other}") },
        });
    }
    Ok(false)
}

/// Counts from the server when it gives them (exact), the client's clock otherwise.
fn usage(job: &Job, p: &Progress) -> Usage {
    let field = |v: &Option<Value>, k: &str| v.as_ref().and_then(|v| v.get(k)).and_then(Value::as_f64);
    let prompt_tokens = field(&p.usage, "prompt_tokens").map(|n| n as usize).unwrap_or(job.prompt_tokens);
    let completion_tokens = field(&p.usage, "completion_tokens").map(|n| n as usize).unwrap_or(p.deltas);
    let ttft_ms = p.first_at.map(|f| f.duration_since(p.sent_at).as_secs_f64() * 1e3).unwrap_or(0.0);
    let decode_s = match (p.first_at, p.last_at) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
        _ => 0.0,
    };
    let measured = if decode_s > 0.0 { completion_tokens.saturating_sub(1) as f64 / decode_s } else { 0.0 };
    let prompt_rate = if ttft_ms > 0.0 { prompt_tokens as f64 / (ttft_ms / 1e3) } else { 0.0 };
    Usage {
        prompt_tokens,
        completion_tokens,
        ttft_ms,
        prompt_tok_per_s: field(&p.timings, "prompt_per_second").unwrap_or(prompt_rate),
        decode_tok_per_s: field(&p.timings, "predicted_per_second").unwrap_or(measured),
    }
}
