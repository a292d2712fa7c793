//! Models that ship a Jinja chat template (SmolLM2, Llama 3, Qwen, ...): the
//! template is rendered the way mistralrs renders it (same minijinja setup),
//! then encoded by our tokenizer, where the template's own control tokens
//! (`<|im_start|>`) become ids and the same spelling inside a message stays text.

use std::ops::Range;

use desk_protocol::{Conversation, Role};
use desk_tokenizer::Tokenizer;
use minijinja::{context, Environment, Error, ErrorKind};

use crate::error::EngineError;
use crate::gguf::GgufHeader;

/// Marks around each message while rendering, to find where its text landed.
/// Private-use characters: no template emits them.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

pub(crate) struct ChatTemplate {
    source: String,
    bos: Option<String>,
    eos: Option<String>,
    unk: Option<String>,
}

impl ChatTemplate {
    pub fn from_header(h: &GgufHeader, tok: &Tokenizer) -> Option<Self> {
        let source = h.get_str("tokenizer.chat_template").filter(|t| !t.trim().is_empty())?;
        let piece = |key: &str| h.get_u64(key).and_then(|id| tok.piece(id as u32)).map(str::to_string);
        Some(Self {
            source: adapt(source),
            bos: piece("tokenizer.ggml.bos_token_id"),
            eos: piece("tokenizer.ggml.eos_token_id"),
            unk: piece("tokenizer.ggml.unknown_token_id"),
        })
    }

    fn render(&self, messages: &[(&str, String)]) -> Result<String, EngineError> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        // As transformers (and mistralrs) render chat templates.
        env.set_lstrip_blocks(true);
        env.set_trim_blocks(true);
        env.add_function("raise_exception", |msg: String| -> Result<String, Error> { Err(Error::new(ErrorKind::InvalidOperation, msg)) });
        env.add_template("chat", &self.source).map_err(template_error)?;
        let template = env.get_template("chat").map_err(template_error)?;
        let messages: Vec<_> = messages.iter().map(|(role, content)| context! { role => role, content => content }).collect();
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => self.bos,
                eos_token => self.eos,
                unk_token => self.unk,
            })
            .map_err(template_error)
    }

    /// The prompt ids for `conv`, ready for the model's reply.
    pub fn encode(&self, conv: &Conversation, tok: &Tokenizer) -> Result<Vec<u32>, EngineError> {
        let mut messages: Vec<(&str, String)> = Vec::new();
        if let Some(sys) = &conv.system {
            messages.push(("system", sys.clone()));
        }
        for m in &conv.messages {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            messages.push((role, m.content.clone()));
        }
        let text = self.render(&messages)?;
        if !messages.iter().any(|(_, c)| tok.has_special(c)) {
            return Ok(tok.encode_with_special(&text));
        }
        // Some message spells a control token: find where each landed and keep it text there.
        let marked: Vec<(&str, String)> = messages.iter().map(|(r, c)| (*r, format!("{OPEN}{}{CLOSE}", unmarked(c)))).collect();
        let (plain, protected) = strip_marks(&self.render(&marked)?);
        // A template that edits messages (`| trim`) sees the marks instead of the
        // edges it would trim: a whitespace difference at worst, never an injected token.
        Ok(tok.encode_with_special_except(&plain, &protected))
    }
}

fn unmarked(s: &str) -> String {
    s.chars().filter(|&c| c != OPEN && c != CLOSE).collect()
}

/// The text without the marks, and the byte ranges that were inside them.
fn strip_marks(marked: &str) -> (String, Vec<Range<usize>>) {
    let mut out = String::with_capacity(marked.len());
    let mut ranges = Vec::new();
    let mut open_at = None;
    for c in marked.chars() {
        match c {
            OPEN => open_at = Some(out.len()),
            CLOSE => ranges.extend(open_at.take().map(|s| s..out.len())),
            c => out.push(c),
        }
    }
    (out, ranges)
}

/// The rewrites mistralrs applies before minijinja sees a template, so both
/// render the same text.
fn adapt(source: &str) -> String {
    let t = source.replace("[::-1]", "|reverse");
    // `range(x, -1, -1)` -> `range(x)|reverse`: minijinja has no negative steps.
    let t = match regex::Regex::new(r"range\((?P<expr>[^,]+),\s*-1,\s*-1\)") {
        Ok(re) => re.replace_all(&t, "range($expr)|reverse").into_owned(),
        Err(_) => t,
    };
    t.replace("{% generation %}", "").replace("{% endgeneration %}", "")
}

fn template_error(e: Error) -> EngineError {
    EngineError::Tokenize(format!("chat template: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_give_the_ranges_of_each_message() {
        let (text, ranges) = strip_marks("<|a|>\u{E000}hi<|a|>\u{E001}x\u{E000}\u{E001}");
        assert_eq!(text, "<|a|>hi<|a|>x");
        assert_eq!(ranges, vec![5..12, 13..13]);
    }

    #[test]
    fn descending_ranges_become_reversed_ones() {
        assert_eq!(adapt("{% for i in range(n, -1, -1) %}{{ range(3) }}"), "{% for i in range(n)|reverse %}{{ range(3) }}");
    }
}
