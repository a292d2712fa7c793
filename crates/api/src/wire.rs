//! OpenAI's request shapes (and llama-server's `/infill`), turned into ours.

use desk_protocol::{Conversation, Message, OverflowPolicy, SamplingParams};
use serde::Deserialize;

use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
pub struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WireMessage {
    pub role: String,
    pub content: Option<Content>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// The sampling fields every endpoint takes. Unset ones are the app's
/// defaults (temperature 0.2, top-p 0.95, top-k 40), with no repeat penalty:
/// OpenAI's API has none, and code repeats legitimately.
#[derive(Debug, Default, Deserialize)]
pub struct Sampling {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub repeat_penalty: Option<f32>,
    pub seed: Option<u64>,
    /// llama-server's extension; benchmarks need exact token counts.
    #[serde(default)]
    pub ignore_eos: bool,
}

impl Sampling {
    pub fn params(&self, max_tokens: usize) -> Result<SamplingParams, ApiError> {
        let base = SamplingParams::default();
        let temperature = self.temperature.unwrap_or(base.temperature);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(ApiError::BadRequest(format!("temperature must be between 0 and 2, not {temperature}")));
        }
        let top_p = self.top_p.unwrap_or(base.top_p);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(ApiError::BadRequest(format!("top_p must be in (0, 1], not {top_p}")));
        }
        if max_tokens == 0 {
            return Err(ApiError::BadRequest("max_tokens must be at least 1".into()));
        }
        Ok(SamplingParams {
            temperature,
            top_p,
            top_k: self.top_k.unwrap_or(base.top_k),
            repeat_penalty: self.repeat_penalty.unwrap_or(1.0),
            max_tokens,
            seed: self.seed,
            ignore_eos: self.ignore_eos,
        })
    }
}

fn stops(stop: Option<OneOrMany>) -> Result<Vec<String>, ApiError> {
    let stops = stop.map(OneOrMany::into_vec).unwrap_or_default();
    if stops.len() > 4 {
        return Err(ApiError::BadRequest(format!("at most 4 stop sequences, not {}", stops.len())));
    }
    Ok(stops)
}

fn only_one(n: Option<usize>) -> Result<(), ApiError> {
    match n {
        None | Some(1) => Ok(()),
        Some(n) => Err(ApiError::BadRequest(format!("n must be 1 (one choice per request), not {n}"))),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<WireMessage>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub stop: Option<OneOrMany>,
    pub n: Option<usize>,
    #[serde(flatten)]
    pub sampling: Sampling,
    /// Ours: what to do when the chat is longer than the context (default: refuse).
    pub overflow: Option<OverflowPolicy>,
}

impl ChatRequest {
    pub fn conversation(&self) -> Result<Conversation, ApiError> {
        only_one(self.n)?;
        let mut conv = Conversation::default();
        let mut system: Vec<String> = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            let text = content_text(m.content.as_ref(), i)?;
            match m.role.as_str() {
                "system" | "developer" if conv.messages.is_empty() => system.push(text),
                "system" | "developer" => {
                    return Err(ApiError::BadRequest(format!("messages[{i}]: system messages must come before the conversation")))
                }
                "user" => conv.messages.push(Message::user(text)),
                "assistant" => conv.messages.push(Message::assistant(text)),
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "messages[{i}]: the role {other:?} is not supported (system, user and assistant are; tools are not)"
                    )))
                }
            }
        }
        if conv.messages.is_empty() {
            return Err(ApiError::BadRequest("messages must contain at least one user message".into()));
        }
        conv.system = (!system.is_empty()).then(|| system.join("\n\n"));
        Ok(conv)
    }

    pub fn params(&self, context_limit: usize) -> Result<SamplingParams, ApiError> {
        // Unset, a reply may use what the context leaves (OpenAI's rule).
        self.sampling.params(self.max_completion_tokens.or(self.max_tokens).unwrap_or(context_limit))
    }

    pub fn stops(&mut self) -> Result<Vec<String>, ApiError> {
        stops(self.stop.take())
    }
}

fn content_text(content: Option<&Content>, i: usize) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(Content::Text(t)) => Ok(t.clone()),
        Some(Content::Parts(parts)) => {
            let mut out = String::new();
            for p in parts {
                match (p.kind.as_str(), &p.text) {
                    ("text", Some(t)) => out.push_str(t),
                    (kind, _) => return Err(ApiError::BadRequest(format!("messages[{i}]: only text content is supported, not {kind:?}"))),
                }
            }
            Ok(out)
        }
    }
}

/// `/v1/completions`' prompt: text, or token ids as llama-server and vLLM take them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PromptField {
    Ids(Vec<u32>),
    IdLists(Vec<Vec<u32>>),
    Text(OneOrMany),
}

/// One prompt, as the backend gets it.
#[derive(Debug, PartialEq)]
pub enum Prompt {
    Text(String),
    Ids(Vec<u32>),
}

#[derive(Debug, Deserialize)]
pub struct CompletionRequest {
    pub prompt: PromptField,
    /// Set: fill in the middle between `prompt` and this (Code Llama 7B/13B).
    pub suffix: Option<String>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<usize>,
    pub stop: Option<OneOrMany>,
    pub n: Option<usize>,
    #[serde(default)]
    pub echo: bool,
    #[serde(flatten)]
    pub sampling: Sampling,
}

impl CompletionRequest {
    pub fn prompt(&mut self) -> Result<Prompt, ApiError> {
        only_one(self.n)?;
        if self.echo {
            return Err(ApiError::BadRequest("echo is not supported".into()));
        }
        let one = |n: usize| ApiError::BadRequest(format!("one prompt per request, not {n}"));
        match std::mem::replace(&mut self.prompt, PromptField::Ids(Vec::new())) {
            PromptField::Ids(ids) if ids.is_empty() => Err(ApiError::BadRequest("the prompt is empty".into())),
            PromptField::Ids(ids) => Ok(Prompt::Ids(ids)),
            PromptField::IdLists(mut lists) if lists.len() == 1 => Ok(Prompt::Ids(lists.remove(0))),
            PromptField::IdLists(lists) => Err(one(lists.len())),
            PromptField::Text(texts) => {
                let mut prompts = texts.into_vec();
                match prompts.len() {
                    1 => Ok(Prompt::Text(prompts.remove(0))),
                    n => Err(one(n)),
                }
            }
        }
    }

    pub fn params(&self) -> Result<SamplingParams, ApiError> {
        // OpenAI's default for this endpoint.
        self.sampling.params(self.max_tokens.unwrap_or(16))
    }

    pub fn stops(&mut self) -> Result<Vec<String>, ApiError> {
        stops(self.stop.take())
    }
}

/// llama-server's `/infill`.
#[derive(Debug, Deserialize)]
pub struct InfillRequest {
    #[serde(default)]
    pub input_prefix: String,
    #[serde(default)]
    pub input_suffix: String,
    /// llama-server puts this after the middle token: text of the hole already
    /// typed. It continues the prefix, which is how it reaches Meta's format.
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub input_extra: Vec<serde_json::Value>,
    /// -1 or unset: until the model ends the fill or the context is full.
    pub n_predict: Option<i64>,
    #[serde(default)]
    pub stream: bool,
    pub stop: Option<OneOrMany>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

impl InfillRequest {
    pub fn params(&self, context_limit: usize) -> Result<SamplingParams, ApiError> {
        if !self.input_extra.is_empty() {
            return Err(ApiError::BadRequest("input_extra (other files' chunks) is not supported".into()));
        }
        let n = match self.n_predict {
            None => context_limit,
            Some(n) if n < 0 => context_limit,
            Some(n) => n as usize,
        };
        self.sampling.params(n)
    }

    pub fn stops(&mut self) -> Result<Vec<String>, ApiError> {
        stops(self.stop.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(json: serde_json::Value) -> Result<Conversation, ApiError> {
        serde_json::from_value::<ChatRequest>(json).unwrap().conversation()
    }

    #[test]
    fn messages_become_a_conversation() {
        let conv = chat(serde_json::json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use Rust."}]},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
        ]}))
        .unwrap();
        assert_eq!(conv.system.as_deref(), Some("Be brief.\n\nUse Rust."));
        assert_eq!(conv.messages, vec![Message::user("hi"), Message::assistant("hello"), Message::user("ab")]);
    }

    #[test]
    fn what_we_cannot_honour_is_refused() {
        let late_system = serde_json::json!({"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]});
        assert!(chat(late_system).unwrap_err().to_string().contains("system messages must come before"));
        let tool = serde_json::json!({"messages": [{"role": "tool", "content": "a"}]});
        assert!(chat(tool).unwrap_err().to_string().contains("\"tool\""));
        let image = serde_json::json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]});
        assert!(chat(image).unwrap_err().to_string().contains("only text"));
        let two = serde_json::json!({"n": 2, "messages": [{"role": "user", "content": "a"}]});
        assert!(chat(two).unwrap_err().to_string().contains("n must be 1"));
        let hot = Sampling { temperature: Some(3.0), ..Default::default() };
        assert!(hot.params(4).is_err());
        let mut five: CompletionRequest =
            serde_json::from_value(serde_json::json!({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]})).unwrap();
        assert!(five.stops().is_err());
    }
}
