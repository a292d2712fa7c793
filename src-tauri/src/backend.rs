//! The boundary between the shell and whatever produces replies: the real
//! engine, or a scripted fake for UI tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use desk_engine::{Activations, CancelHandle, Engine, EngineError, LoadOptions};
use desk_protocol::{ChatEvent, Conversation, LoadProgress, ModelFacts, OverflowPolicy, Prefill, SamplingParams, StopReason, Usage};
use futures::future::BoxFuture;
use futures::StreamExt;

pub use desk_engine::backend::{Backend, EventStream, ProgressFn};

/// What to load: a file, and the context to allocate (`None` = the model's own).
#[derive(Debug, Clone)]
pub struct LoadRequest {
    pub path: PathBuf,
    pub context: Option<usize>,
    /// Load even when the memory estimate says it will not fit (the user confirmed).
    pub force: bool,
    /// Activation dtype (Settings); `Auto` is f32 on CPU.
    pub activations: Activations,
}

/// Loads a backend for a model file, reporting progress.
pub type Loader =
    Arc<dyn Fn(LoadRequest, Box<dyn FnMut(LoadProgress) + Send>) -> BoxFuture<'static, Result<Arc<dyn Backend>, EngineError>> + Send + Sync>;

pub fn engine_loader() -> Loader {
    Arc::new(|request, progress| {
        Box::pin(async move {
            let options = LoadOptions {
                context_len: request.context,
                check_memory: !request.force,
                activations: request.activations,
                ..LoadOptions::default()
            };
            let engine = Engine::load(&request.path, options, progress).await?;
            Ok(Arc::new(engine) as Arc<dyn Backend>)
        })
    })
}

/// Replies with a fixed text, a few characters at a time: UI tests, hostile
/// output checks and UI throughput measurements without a model.
pub struct FakeBackend {
    pub reply: String,
    pub chunk_chars: usize,
    pub delay: Duration,
    /// Set: every reply is the timestamped benchmark stream for this long instead.
    pub bench: Option<Duration>,
    facts: ModelFacts,
}

impl FakeBackend {
    pub fn new(path: &Path, reply: String, chunk_chars: usize, delay: Duration) -> Self {
        let facts = ModelFacts {
            path: path.display().to_string(),
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            file_size: 0,
            gguf_version: 3,
            architecture: "fake".into(),
            name: Some("Fake backend".into()),
            context_length: Some(4096),
            rope_freq_base: None,
            vocab_size: None,
            block_count: None,
            embedding_length: None,
            head_count: None,
            head_count_kv: None,
            file_type: None,
            file_type_name: None,
            has_chat_template: false,
            tensor_count: 0,
            format: desk_protocol::PromptFormat::Completion,
            // Scripted text serves every mode, so UI tests can drive each pane.
            modes: desk_protocol::Modes { chat: true, complete: true, infill: true },
            ..Default::default()
        };
        Self { reply, chunk_chars: chunk_chars.max(1), delay, bench: None, facts }
    }

    /// `DESK_FAKE_REPLY=FILE` makes the app answer every message with FILE's text;
    /// `DESK_FAKE_BENCH=SECONDS` with the UI benchmark's timestamped stream.
    pub fn loader_from_env() -> Option<Loader> {
        if let Some(secs) = std::env::var("DESK_FAKE_BENCH").ok().and_then(|v| v.parse::<f64>().ok()) {
            let length = Duration::from_secs_f64(secs.max(0.0));
            return Some(Arc::new(move |request: LoadRequest, _progress| {
                let mut fake = FakeBackend::new(&request.path, String::new(), 4, BENCH_TOKEN_INTERVAL);
                fake.bench = Some(length);
                Box::pin(async move { Ok(Arc::new(fake) as Arc<dyn Backend>) })
            }));
        }
        let file = std::env::var_os("DESK_FAKE_REPLY")?;
        let delay_ms = std::env::var("DESK_FAKE_DELAY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
        Some(Arc::new(move |request: LoadRequest, _progress| {
            let path = request.path;
            let file = PathBuf::from(&file);
            Box::pin(async move {
                let reply = std::fs::read_to_string(&file)
                    .map_err(|e| EngineError::NotFound { path: file.display().to_string(), reason: e.to_string() })?;
                Ok(Arc::new(FakeBackend::new(&path, reply, 4, Duration::from_millis(delay_ms))) as Arc<dyn Backend>)
            })
        }))
    }
}

impl Backend for FakeBackend {
    fn facts(&self) -> ModelFacts {
        self.facts.clone()
    }
    fn context_limit(&self) -> usize {
        4096
    }
    fn load_ms(&self) -> u64 {
        0
    }
    fn stream<'a>(
        &'a self,
        conv: &'a Conversation,
        params: &'a SamplingParams,
        _policy: OverflowPolicy,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        let prompt_tokens: usize = conv.messages.iter().map(|m| m.content.len() / 4 + 1).sum();
        Box::pin(async move { Ok(self.scripted(prompt_tokens, params)) })
    }
    fn count_tokens<'a>(&'a self, conv: &'a Conversation) -> BoxFuture<'a, Result<usize, EngineError>> {
        let n = conv.messages.iter().map(|m| m.content.len() / 4 + 1).sum();
        Box::pin(async move { Ok(n) })
    }
    /// A token per four characters of the stable text, in two steps, so UI
    /// tests see the progress line move.
    fn prefill<'a>(
        &'a self,
        conv: &'a Conversation,
        draft: &'a str,
        stop: &'a CancelHandle,
        mut progress: ProgressFn,
    ) -> BoxFuture<'a, Result<Prefill, EngineError>> {
        let before: usize = conv.messages.iter().map(|m| m.content.len() / 4 + 1).sum();
        let total = before + desk_engine::stable_text(draft).len() / 4;
        Box::pin(async move {
            let mut ready = 0;
            for step in [total / 2, total] {
                if stop.is_cancelled() {
                    break;
                }
                tokio::time::sleep(self.delay).await;
                ready = step;
                progress(Prefill { ready, total });
            }
            Ok(Prefill { ready, total })
        })
    }
    fn complete<'a>(&'a self, text: &'a str, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move { Ok(self.scripted(text.len() / 4 + 1, params)) })
    }
    fn infill<'a>(
        &'a self,
        prefix: &'a str,
        suffix: &'a str,
        params: &'a SamplingParams,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move { Ok(self.scripted((prefix.len() + suffix.len()) / 4 + 3, params)) })
    }
}

impl FakeBackend {
    fn scripted(&self, prompt_tokens: usize, params: &SamplingParams) -> (EventStream, CancelHandle) {
        if let Some(length) = self.bench {
            let cancel = CancelHandle::default();
            return (bench_stream(length, prompt_tokens, self.context_limit(), cancel.clone()), cancel);
        }
        let chars: Vec<char> = self.reply.chars().collect();
        let all = chars.chunks(self.chunk_chars);
        let truncated = all.len() > params.max_tokens.max(1);
        let chunks: Vec<String> = all.take(params.max_tokens.max(1)).map(|c| c.iter().collect()).collect();
        let cancel = CancelHandle::default();
        let events = async_stream(chunks, truncated, prompt_tokens, self.context_limit(), self.delay, cancel.clone());
        (events, cancel)
    }
}

/// The fake's reply as events: Started, one Text per chunk (each after
/// `delay`), then Usage and Stopped. Stop takes effect before the next chunk.
fn async_stream(chunks: Vec<String>, truncated: bool, prompt_tokens: usize, limit: usize, delay: Duration, cancel: CancelHandle) -> EventStream {
    struct State {
        chunks: std::collections::VecDeque<String>,
        sent: String,
        count: usize,
        started: bool,
        done: bool,
    }
    let state = State { chunks: chunks.into(), sent: String::new(), count: 0, started: false, done: false };
    let stream = futures::stream::unfold(state, move |mut s| {
        let cancel = cancel.clone();
        async move {
            if s.done {
                return None;
            }
            if !s.started {
                s.started = true;
                return Some((vec![ChatEvent::Started { prompt_tokens, context_limit: limit, dropped: None, seed: 0 }], s));
            }
            if !cancel.is_cancelled() {
                if let Some(delta) = s.chunks.pop_front() {
                    tokio::time::sleep(delay).await;
                    if !cancel.is_cancelled() {
                        s.sent.push_str(&delta);
                        s.count += 1;
                        return Some((vec![ChatEvent::Text { delta }], s));
                    }
                }
            }
            s.done = true;
            let reason = if cancel.is_cancelled() {
                StopReason::Cancelled
            } else if truncated {
                StopReason::MaxTokens
            } else {
                StopReason::EndOfText
            };
            let usage = Usage { prompt_tokens, completion_tokens: s.count, ..Usage::default() };
            let end = vec![ChatEvent::Usage(usage), ChatEvent::Stopped { reason, text: std::mem::take(&mut s.sent) }];
            Some((end, s))
        }
    })
    .flat_map(futures::stream::iter);
    Box::pin(stream)
}

/// 200 tokens a second, about what a fast GPU decodes.
const BENCH_TOKEN_INTERVAL: Duration = Duration::from_millis(5);
/// Every this many tokens the stream says when it was sent.
const BENCH_MARK_EVERY: usize = 10;
const BENCH_TOKEN_CHARS: usize = 4;
/// Prose and code the benchmark cycles through. The prose has no `*`, `_` or
/// backticks: a timestamp landing inside markup must not change the blocks.
const BENCH_SCRIPT: &str = "Here is one way to do it. The function walks the list once and keeps a running total, \
so it runs in linear time and needs no extra memory beyond the result.\n\n\
```python\n\
def running_total(values):\n    total = 0\n    out = []\n    for v in values:\n        total += v\n        out.append(total)\n    return out\n\n\
print(running_total([1, 2, 3, 4]))\n\
```\n\n\
In Rust the same idea reads almost the same, with an iterator adaptor doing the bookkeeping for us.\n\n\
```rust\n\
fn running_total(values: &[i64]) -> Vec<i64> {\n    values\n        .iter()\n        .scan(0, |acc, v| {\n            *acc += v;\n            Some(*acc)\n        })\n        .collect()\n}\n\
```\n\n\
Both versions return a new list, and both leave the input untouched.\n\n";

/// The UI benchmark's reply: [`BENCH_SCRIPT`] over and over at one token per
/// [`BENCH_TOKEN_INTERVAL`] for `length`, with `⏱<unix ms>` (the time it is
/// sent) every [`BENCH_MARK_EVERY`] tokens, never inside a code fence line.
fn bench_stream(length: Duration, prompt_tokens: usize, limit: usize, cancel: CancelHandle) -> EventStream {
    struct State {
        script: Vec<char>,
        at: usize,
        tokens: usize,
        sent: String,
        started: Option<tokio::time::Instant>,
        done: bool,
    }
    let state = State { script: BENCH_SCRIPT.chars().collect(), at: 0, tokens: 0, sent: String::new(), started: None, done: false };
    let stream = futures::stream::unfold(state, move |mut s| {
        let cancel = cancel.clone();
        async move {
            if s.done {
                return None;
            }
            let Some(start) = s.started else {
                s.started = Some(tokio::time::Instant::now());
                return Some((vec![ChatEvent::Started { prompt_tokens, context_limit: limit, dropped: None, seed: 0 }], s));
            };
            // Paced against the start, so a slow consumer does not lower the rate.
            tokio::time::sleep_until(start + BENCH_TOKEN_INTERVAL * s.tokens as u32).await;
            if !cancel.is_cancelled() && start.elapsed() < length {
                let line_start = s.sent.rfind('\n').map_or(0, |i| i + 1);
                let in_fence = s.sent[line_start..].starts_with('`') || s.script[s.at] == '`';
                let delta = if s.tokens % BENCH_MARK_EVERY == 0 && !in_fence {
                    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
                    format!("⏱{ms}")
                } else {
                    let n = s.script.len();
                    let piece: String = (0..BENCH_TOKEN_CHARS).map(|k| s.script[(s.at + k) % n]).collect();
                    s.at = (s.at + BENCH_TOKEN_CHARS) % n;
                    piece
                };
                s.tokens += 1;
                s.sent.push_str(&delta);
                return Some((vec![ChatEvent::Text { delta }], s));
            }
            s.done = true;
            let reason = if cancel.is_cancelled() { StopReason::Cancelled } else { StopReason::EndOfText };
            let usage = Usage { prompt_tokens, completion_tokens: s.tokens, ..Usage::default() };
            Some((vec![ChatEvent::Usage(usage), ChatEvent::Stopped { reason, text: std::mem::take(&mut s.sent) }], s))
        }
    })
    .flat_map(futures::stream::iter);
    Box::pin(stream)
}
