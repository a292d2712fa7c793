//! Prefill while the user types.
//!
//! A paste sits in the composer long before Enter. The prompt it will become is
//! fixed up to the draft's last line break unless the user edits above it, so
//! that part is sent ahead as prefill-only requests. mistralrs keeps every
//! finished sequence in its prefix cache, and the real request then pays only
//! for the tokens after the longest cached prefix.
//!
//! Two properties of mistralrs 0.8.1 shape this:
//! - a cache entry's key is the prompt plus the token sampled after it, while
//!   its KV holds only the prompt; a later prompt that continues with that very
//!   token would read one unwritten position. Prefill requests therefore end on
//!   a sentinel no prompt contains (`vocab::prefill_sentinel`).
//! - one forward pass cannot be interrupted, so work is sent in chunks and a
//!   stop takes effect at the next chunk boundary. The chunk in flight is left
//!   to finish: its work lands in the cache, and a real request sent meanwhile
//!   would wait for that pass anyway.

use std::collections::VecDeque;

use desk_protocol::{Conversation, Message, Prefill, SamplingParams, StopReason};

use crate::engine::Engine;
use crate::error::EngineError;
use crate::stream::CancelHandle;

/// Tokens per prefill request: each finished request stays in mistralrs's
/// prefix cache, so few large chunks keep memory down; smaller ones would make
/// a cancel land sooner.
pub const PREFILL_CHUNK: usize = 256;
/// Prompts remembered to say how much of a new prompt is already computed.
const RECENT: usize = 32;
/// Continuations of the stable text from each class a tokenizer merges
/// differently (a letter, more line breaks, a run of spaces): what all their
/// prompts share does not depend on what the user types next. A final line
/// break alone is not enough: byte-level BPE joins `\n\n\n` into one piece.
const PROBES: [&str; 3] = ["a", "\n\n", "  Z"];

#[derive(Default)]
pub(crate) struct Recent(VecDeque<Vec<u32>>);

impl Recent {
    fn note(&mut self, tokens: &[u32]) {
        if self.0.iter().any(|k| k.len() >= tokens.len() && k[..tokens.len()] == *tokens) {
            return;
        }
        self.0.retain(|k| !(k.len() <= tokens.len() && tokens[..k.len()] == **k));
        if self.0.len() == RECENT {
            self.0.pop_front();
        }
        self.0.push_back(tokens.to_vec());
    }

    /// Whether `tokens` continue a remembered prompt whole: the next turn of a
    /// chat, or the send after a prefill.
    fn extended_by(&self, tokens: &[u32]) -> bool {
        self.0.iter().any(|k| k.len() >= 16 && tokens.len() > k.len() && tokens[..k.len()] == **k)
    }

    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    fn ready(&self, tokens: &[u32]) -> usize {
        self.0.iter().map(|k| shared_prefix(k, tokens)).max().unwrap_or(0)
    }
}

fn shared_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Cut at the last line break: the text after it is still being typed.
pub fn stable_text(draft: &str) -> &str {
    draft.rfind('\n').map_or("", |i| &draft[..=i])
}

impl Engine {
    pub(crate) fn note_prompt(&self, tokens: &[u32]) {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).note(tokens);
    }

    /// After mistralrs's cache was dropped nothing remembered is computed any more.
    pub(crate) fn forget_recent(&self) {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub(crate) fn continues_recent(&self, tokens: &[u32]) -> bool {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).extended_by(tokens)
    }

    /// How many leading tokens of `tokens` a recent request has computed.
    pub fn ready_len(&self, tokens: &[u32]) -> usize {
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).ready(tokens)
    }

    /// The part of the prompt that sending `draft` after `conv` will produce and
    /// that further typing at the end of the draft cannot change. Empty when the
    /// prompt would not fit the context anyway.
    pub async fn draft_prefix(&self, conv: &Conversation, draft: &str) -> Result<Vec<u32>, EngineError> {
        let stable = stable_text(draft);
        let mut probes = Vec::with_capacity(PROBES.len());
        for probe in PROBES {
            let mut c = conv.clone();
            c.messages.push(Message::user(format!("{stable}{probe}")));
            probes.push(self.prompt_tokens(&c).await?);
        }
        let n = probes.iter().map(|p| shared_prefix(&probes[0], p)).min().unwrap_or(0);
        let mut tokens = probes.swap_remove(0);
        tokens.truncate(n);
        if tokens.len() >= self.context_limit {
            tokens.clear();
        }
        Ok(tokens)
    }

    /// Compute `tokens` into the prefix cache, `PREFILL_CHUNK` at a time,
    /// reporting after each chunk. Stops at the next chunk boundary once
    /// `stop` fires.
    pub async fn prefill(
        &self,
        tokens: &[u32],
        stop: &CancelHandle,
        mut progress: impl FnMut(Prefill),
    ) -> Result<Prefill, EngineError> {
        let total = tokens.len();
        let mut ready = self.ready_len(tokens);
        progress(Prefill { ready, total });
        let Some(sentinel) = self.sentinel else {
            return Ok(Prefill { ready, total });
        };
        let params = SamplingParams::greedy(1);
        while ready < total && !stop.is_cancelled() {
            let end = (ready + PREFILL_CHUNK).min(total);
            let stream = self.start(tokens[..end].to_vec(), None, &params, &[], Some(sentinel)).await?;
            if let StopReason::Error { message } = stream.collect_reply(|_| {}).await.reason {
                return Err(EngineError::Generation(message));
            }
            self.note_prompt(&tokens[..end]);
            ready = end;
            progress(Prefill { ready, total });
        }
        Ok(Prefill { ready, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stable_text_ends_at_the_last_line_break() {
        assert_eq!(stable_text("no break yet"), "");
        assert_eq!(stable_text("fn a() {}\nfn b"), "fn a() {}\n");
        assert_eq!(stable_text("x\n\n"), "x\n\n");
    }

    #[test]
    fn recent_prompts_say_how_much_is_computed() {
        let mut r = Recent::default();
        r.note(&[1, 2, 3]);
        r.note(&[1, 2, 3, 4, 5]);
        assert_eq!(r.0.len(), 1, "a prompt extending a remembered one replaces it");
        r.note(&[1, 2]);
        assert_eq!(r.0.len(), 1, "a prefix of a remembered prompt adds nothing");
        r.note(&[7, 8]);
        assert_eq!(r.ready(&[1, 2, 3, 9]), 3);
        assert_eq!(r.ready(&[7, 8, 9]), 2);
        assert_eq!(r.ready(&[9]), 0);
        for i in 0..100 {
            r.note(&[100 + i]);
        }
        assert_eq!(r.0.len(), RECENT);
    }
}
