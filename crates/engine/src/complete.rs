//! Completion mode: the model continues the user's text (Code Llama base and
//! Python, and any model in the app's "Complete" pane).

use desk_protocol::SamplingParams;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::stream::ReplyStream;

impl Engine {
    /// The exact tokens for continuing `text`: the model's BOS (if it wants one) and the text.
    pub fn completion_prompt(&self, text: &str) -> Result<Vec<u32>, EngineError> {
        self.prompter.completion_prompt(text)
    }

    /// Stream what comes after `text`. Never silently truncated: a text
    /// longer than the context is refused with the numbers.
    pub async fn complete(&self, text: &str, params: &SamplingParams) -> Result<ReplyStream, EngineError> {
        let tokens = self.prompter.completion_within(text, params, self.context_limit)?;
        self.stream_tokens(tokens, None, params).await
    }
}
