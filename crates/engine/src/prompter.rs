//! Everything that turns a conversation, a text or a hole into the exact ids a
//! model sees, read from a GGUF header alone (no weights). The local engine
//! owns one; a remote backend builds one from a local copy of the server's
//! vocabulary, so prompts sent as ids are the same ids a local load would send.

use std::path::Path;
use std::sync::Arc;

use desk_protocol::{Conversation, ModelFacts, OverflowPolicy, PromptFormat, SamplingParams};
use desk_tokenizer::Tokenizer;

use crate::budget::{Fitted, Fitter};
use crate::chat_template::ChatTemplate;
use crate::error::EngineError;
use crate::gguf::GgufHeader;
use crate::infill::{infill_tokens, supports_infill};
use crate::{gguf, prompt, vocab};

pub struct Prompter {
    pub(crate) facts: ModelFacts,
    pub(crate) format: PromptFormat,
    /// The id a plain-text prompt starts with, when the model wants one.
    pub(crate) bos: Option<u32>,
    pub(crate) bos_id: u32,
    pub(crate) eos_id: u32,
    tokenizer: Arc<Tokenizer>,
    chat: Option<ChatTemplate>,
}

impl Prompter {
    /// Read only the header of `path` (its vocabulary and template).
    pub fn open(path: &Path) -> Result<Prompter, EngineError> {
        let header = gguf::read_header_keeping(path, vocab::ARRAYS)?;
        Self::from_header(path, &header)
    }

    pub(crate) fn from_header(path: &Path, header: &GgufHeader) -> Result<Prompter, EngineError> {
        let facts = gguf::facts_from_header(path, header)?;
        let tokenizer = vocab::tokenizer_from_header(path, header)?;
        let chat = ChatTemplate::from_header(header, &tokenizer);
        let bos_id = header.get_u64("tokenizer.ggml.bos_token_id").map_or(prompt::BOS, |b| b as u32);
        let eos_id = header.get_u64("tokenizer.ggml.eos_token_id").map_or(prompt::EOS, |e| e as u32);
        // Llama-family files omit the flag and want BOS; files that set it to false do not.
        let bos = header.get_bool("tokenizer.ggml.add_bos_token").unwrap_or(true).then_some(bos_id);
        Ok(Prompter { format: facts.format, facts, bos, bos_id, eos_id, tokenizer: Arc::new(tokenizer), chat })
    }

    pub fn facts(&self) -> &ModelFacts {
        &self.facts
    }
    pub fn format(&self) -> PromptFormat {
        self.format
    }
    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        &self.tokenizer
    }
    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    /// Plain-text tokens, special-token strings encoded as text.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text)
    }

    /// The exact token ids the model will see for `conv`, before any overflow policy.
    pub fn prompt_tokens(&self, conv: &Conversation) -> Result<Vec<u32>, EngineError> {
        let enc = |t: &str| Ok(self.encode(t));
        match self.format {
            PromptFormat::CodeLlamaInstruct => prompt::code_llama_instruct(conv, &enc),
            PromptFormat::Completion => prompt::completion(conv, self.bos, &enc),
            PromptFormat::ChatTemplate => {
                prompt::validate(conv)?;
                let chat = self.chat.as_ref().ok_or_else(|| EngineError::Tokenize("the model has no chat template".into()))?;
                chat.encode(conv, &self.tokenizer)
            }
        }
    }

    /// Build the prompt and apply the overflow policy in a context of `limit`,
    /// leaving room for the reply.
    pub fn fit_prompt(&self, conv: &Conversation, params: &SamplingParams, policy: OverflowPolicy, limit: usize) -> Result<Fitted, EngineError> {
        let reserve = params.max_tokens.clamp(1, (limit / 4).max(1));
        let mut fitter = Fitter::new(conv, policy, limit, reserve);
        while let Some(candidate) = fitter.candidate() {
            if let Some(done) = fitter.offer(self.prompt_tokens(candidate)?)? {
                return Ok(done);
            }
        }
        Err(EngineError::NoQuestion)
    }

    /// The exact tokens for continuing `text`: the model's BOS (if it wants one) and the text.
    pub fn completion_prompt(&self, text: &str) -> Result<Vec<u32>, EngineError> {
        prompt::continuation(text, self.bos, &|t: &str| Ok(self.encode(t)))
    }

    /// A continuation refused with the numbers when it cannot fit `limit`.
    pub fn completion_within(&self, text: &str, params: &SamplingParams, limit: usize) -> Result<Vec<u32>, EngineError> {
        let tokens = self.completion_prompt(text)?;
        let reply = params.max_tokens.max(1);
        if tokens.len() + reply > limit {
            return Err(EngineError::ContextOverflow { needed: tokens.len() + reply, prompt: tokens.len(), reply, limit });
        }
        Ok(tokens)
    }

    pub fn infill_prompt(&self, prefix: &str, suffix: &str) -> Result<Vec<u32>, EngineError> {
        infill_tokens(prefix, suffix, |t| Ok(self.encode(t)), |t| Ok(self.tokenizer.encode_infill(t)))
    }

    /// Meta's infill prompt, refused for models not trained for it or when it cannot fit `limit`.
    pub fn infill_within(&self, prefix: &str, suffix: &str, limit: usize) -> Result<Vec<u32>, EngineError> {
        supports_infill(&self.facts).map_err(EngineError::NoInfill)?;
        let tokens = self.infill_prompt(prefix, suffix)?;
        if tokens.len() + 1 > limit {
            return Err(EngineError::ContextOverflow { needed: tokens.len() + 1, prompt: tokens.len(), reply: 1, limit });
        }
        Ok(tokens)
    }
}
