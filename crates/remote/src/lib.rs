//! A model on another machine, behind an OpenAI-compatible server
//! (llama.cpp's llama-server, vLLM, mistralrs-server), as a [`Backend`] like
//! the local engine.
//!
//! When this machine has the server model's vocabulary (the same GGUF, found
//! by name in the model folders or given), the prompt is built here, token for
//! token as a local load would build it, and sent as ids to `/v1/completions`.
//! Otherwise the server applies its own chat template, and [`Backend::remote`]
//! says so. Nothing is contacted but the configured server.

mod address;
mod connect;
mod http;
pub mod saved;
mod sse;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use desk_engine::{Backend, CancelHandle, EngineError, EventStream, Prompter};
use desk_protocol::{Conversation, ModelFacts, OverflowPolicy, Prefill, PromptFormat, RemoteInfo, SamplingParams};
use futures::future::BoxFuture;
use serde_json::{json, Value};

pub use address::{is_local, Address};
pub use connect::{list_models, RemoteConfig};
pub use http::server_message;

use crate::http::Http;
use crate::stream::{Job, Route};

/// Code Llama's end of an infill (`▁<EOT>`); vLLM stops on it only when asked.
const EOT: u32 = desk_engine::infill::EOT;

pub struct Remote {
    http: Arc<Http>,
    model: String,
    /// Present when prompts go out as our ids.
    prompter: Option<Prompter>,
    facts: ModelFacts,
    context_limit: usize,
    note: Option<String>,
    /// Plain http to a private address: shown once when connecting.
    pub warning: Option<String>,
    stall: Duration,
}

impl Remote {
    pub fn model(&self) -> &str {
        &self.model
    }
    pub fn token_ids(&self) -> bool {
        self.prompter.is_some()
    }

    fn job(&self, route: Route, mut body: Value, params: &SamplingParams, prompt_tokens: usize) -> Job {
        let seed = params.seed.unwrap_or_else(fresh_seed);
        if let Some(map) = body.as_object_mut() {
            map.insert("model".into(), json!(self.model));
            map.insert("max_tokens".into(), json!(params.max_tokens.max(1)));
            map.insert("temperature".into(), json!(params.temperature));
            map.insert("top_p".into(), json!(params.top_p));
            map.insert("top_k".into(), json!(params.top_k));
            // llama-server's name, then vLLM's and mistralrs-server's.
            map.insert("repeat_penalty".into(), json!(params.repeat_penalty));
            map.insert("repetition_penalty".into(), json!(params.repeat_penalty));
            map.insert("seed".into(), json!(seed));
            map.insert("stream".into(), json!(true));
            map.insert("stream_options".into(), json!({"include_usage": true}));
            if params.ignore_eos {
                map.insert("ignore_eos".into(), json!(true));
            }
        }
        let url = self.http.address.api_url(match route {
            Route::Completions => "completions",
            Route::Chat => "chat/completions",
        });
        Job {
            http: self.http.clone(),
            url,
            body,
            route,
            strip_space: false,
            stall: self.stall,
            prompt_tokens,
            context_limit: self.context_limit,
            dropped: None,
            seed,
            what: format!("model `{}`", self.model),
        }
    }

    async fn run(&self, job: Job) -> Result<(EventStream, CancelHandle), EngineError> {
        let (stream, cancel) = stream::start(job).await?;
        Ok((Box::pin(stream) as EventStream, cancel))
    }
}

impl Backend for Remote {
    fn facts(&self) -> ModelFacts {
        self.facts.clone()
    }
    fn context_limit(&self) -> usize {
        self.context_limit
    }
    fn load_ms(&self) -> u64 {
        0
    }
    fn remote(&self) -> Option<RemoteInfo> {
        Some(RemoteInfo {
            url: self.http.address.api.as_str().trim_end_matches('/').to_string(),
            model: self.model.clone(),
            token_ids: self.prompter.is_some(),
            note: self.note.clone(),
        })
    }

    fn stream<'a>(
        &'a self,
        conv: &'a Conversation,
        params: &'a SamplingParams,
        policy: OverflowPolicy,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move {
            let job = match &self.prompter {
                Some(p) => {
                    let fitted = p.fit_prompt(conv, params, policy, self.context_limit)?;
                    let n = fitted.tokens.len();
                    let mut job = self.job(Route::Completions, json!({ "prompt": fitted.tokens }), params, n);
                    job.dropped = fitted.dropped;
                    job.strip_space = p.format() != PromptFormat::Completion && p.tokenizer().adds_space_prefix();
                    job
                }
                None => {
                    desk_engine::prompt::validate(conv)?;
                    let mut messages: Vec<Value> = conv.system.iter().map(|s| json!({"role": "system", "content": s})).collect();
                    for m in &conv.messages {
                        let role = match m.role {
                            desk_protocol::Role::User => "user",
                            desk_protocol::Role::Assistant => "assistant",
                        };
                        messages.push(json!({"role": role, "content": m.content}));
                    }
                    self.job(Route::Chat, json!({ "messages": messages }), params, 0)
                }
            };
            self.run(job).await
        })
    }

    fn count_tokens<'a>(&'a self, conv: &'a Conversation) -> BoxFuture<'a, Result<usize, EngineError>> {
        Box::pin(async move {
            match &self.prompter {
                Some(p) => Ok(p.prompt_tokens(conv)?.len()),
                // The server's template and tokenizer are not here: about four bytes a token.
                None => Ok(conv.system.iter().chain(conv.messages.iter().map(|m| &m.content)).map(|t| t.len() / 4 + 4).sum()),
            }
        })
    }

    fn prefill<'a>(
        &'a self,
        _conv: &'a Conversation,
        _draft: &'a str,
        _stop: &'a CancelHandle,
        _progress: desk_engine::backend::ProgressFn,
    ) -> BoxFuture<'a, Result<Prefill, EngineError>> {
        // The server keeps its own prompt cache; nothing is sent ahead.
        Box::pin(async { Ok(Prefill::default()) })
    }

    fn complete<'a>(&'a self, text: &'a str, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move {
            let job = match &self.prompter {
                Some(p) => {
                    let tokens = p.completion_within(text, params, self.context_limit)?;
                    let n = tokens.len();
                    self.job(Route::Completions, json!({ "prompt": tokens }), params, n)
                }
                None => {
                    if text.is_empty() {
                        return Err(EngineError::NoQuestion);
                    }
                    self.job(Route::Completions, json!({ "prompt": text }), params, 0)
                }
            };
            self.run(job).await
        })
    }

    fn complete_tokens<'a>(&'a self, tokens: Vec<u32>, params: &'a SamplingParams) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move {
            let n = tokens.len();
            self.run(self.job(Route::Completions, json!({ "prompt": tokens }), params, n)).await
        })
    }

    fn infill<'a>(
        &'a self,
        prefix: &'a str,
        suffix: &'a str,
        params: &'a SamplingParams,
    ) -> BoxFuture<'a, Result<(EventStream, CancelHandle), EngineError>> {
        Box::pin(async move {
            let p = self.prompter.as_ref().ok_or_else(|| {
                EngineError::NoInfill(format!(
                    "filling a hole through {} needs the model's vocabulary on this machine (the same GGUF in models/, or --remote-vocab FILE)",
                    self.http.address.shown()
                ))
            })?;
            let tokens = p.infill_within(prefix, suffix, self.context_limit)?;
            let n = tokens.len();
            let job = self.job(Route::Completions, json!({ "prompt": tokens, "stop_token_ids": [EOT] }), params, n);
            self.run(job).await
        })
    }
}

/// Kept below 2^53, as the engine's: it survives JSON and JavaScript numbers.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0x5eed);
    nanos & ((1 << 53) - 1)
}
