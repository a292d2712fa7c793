//! Fitting a conversation into the context window, by the caller's policy.
//! Whatever is dropped is reported: nothing is truncated silently.

use desk_protocol::{Conversation, Dropped, OverflowPolicy};

use crate::error::EngineError;

#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub tokens: Vec<u32>,
    pub dropped: Option<Dropped>,
}

/// Fits a conversation into `limit` tokens leaving `reserve` for the reply,
/// dropping whole exchanges (a user message and its answer), oldest first, as
/// `policy` allows. The last user message is never dropped.
///
/// It proposes candidate conversations and the caller tokenizes them, so the
/// same logic drives sync tests and the async engine.
pub struct Fitter {
    candidates: Vec<(Conversation, Vec<usize>)>,
    next: usize,
    full_len: Option<usize>,
    last_len: usize,
    limit: usize,
    reserve: usize,
}

impl Fitter {
    pub fn new(conv: &Conversation, policy: OverflowPolicy, limit: usize, reserve: usize) -> Self {
        let mut candidates = vec![(conv.clone(), Vec::new())];
        let first_droppable = match policy {
            OverflowPolicy::Error => None,
            OverflowPolicy::DropOldest => Some(1),
            OverflowPolicy::RollingWindow => Some(0),
        };
        let exchanges = conv.messages.len().saturating_sub(1) / 2;
        let mut dropped = Vec::new();
        for k in first_droppable.map_or(0..0, |f| f..exchanges) {
            dropped.extend([2 * k, 2 * k + 1]);
            let kept = conv.messages.iter().enumerate().filter(|(i, _)| !dropped.contains(i)).map(|(_, m)| m.clone()).collect();
            candidates.push((Conversation { system: conv.system.clone(), messages: kept }, dropped.clone()));
        }
        Self { candidates, next: 0, full_len: None, last_len: 0, limit, reserve }
    }

    /// The next conversation to tokenize.
    pub fn candidate(&self) -> Option<&Conversation> {
        self.candidates.get(self.next).map(|(c, _)| c)
    }

    /// The tokens of the current candidate: `Some` when they fit, `None` to try
    /// the next candidate, an error when none is left.
    pub fn offer(&mut self, tokens: Vec<u32>) -> Result<Option<Fitted>, EngineError> {
        let full = *self.full_len.get_or_insert(tokens.len());
        self.last_len = tokens.len();
        let dropped = self.candidates.get(self.next).map(|(_, d)| d.clone()).unwrap_or_default();
        self.next += 1;
        if tokens.len() + self.reserve <= self.limit {
            let dropped = (!dropped.is_empty()).then(|| Dropped { message_indices: dropped, tokens: full.saturating_sub(tokens.len()) });
            return Ok(Some(Fitted { tokens, dropped }));
        }
        if self.next >= self.candidates.len() {
            let prompt = self.last_len;
            return Err(EngineError::ContextOverflow { needed: prompt + self.reserve, prompt, reply: self.reserve, limit: self.limit });
        }
        Ok(None)
    }
}

/// Drive a [`Fitter`] with a synchronous tokenizer.
pub fn fit(
    conv: &Conversation,
    policy: OverflowPolicy,
    limit: usize,
    reserve: usize,
    build: impl Fn(&Conversation) -> Result<Vec<u32>, EngineError>,
) -> Result<Fitted, EngineError> {
    let mut fitter = Fitter::new(conv, policy, limit, reserve);
    while let Some(c) = fitter.candidate() {
        let tokens = build(c)?;
        if let Some(done) = fitter.offer(tokens)? {
            return Ok(done);
        }
    }
    Err(EngineError::NoQuestion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_protocol::Message;

    /// Ten tokens per message plus one per system prompt.
    fn ten_each(c: &Conversation) -> Result<Vec<u32>, EngineError> {
        Ok(vec![0; c.messages.len() * 10 + c.system.iter().count()])
    }

    fn conv(turns: usize) -> Conversation {
        let mut messages = Vec::new();
        for i in 0..turns {
            messages.push(Message::user(format!("q{i}")));
            messages.push(Message::assistant(format!("a{i}")));
        }
        messages.push(Message::user("last"));
        Conversation { system: Some("sys".into()), messages }
    }

    #[test]
    fn fitting_conversation_is_untouched() {
        let got = fit(&conv(2), OverflowPolicy::Error, 100, 10, ten_each).unwrap();
        assert_eq!(got, Fitted { tokens: vec![0; 51], dropped: None });
    }

    #[test]
    fn error_policy_says_how_much() {
        let err = fit(&conv(3), OverflowPolicy::Error, 60, 10, ten_each).unwrap_err();
        assert!(matches!(err, EngineError::ContextOverflow { needed: 81, prompt: 71, reply: 10, limit: 60 }), "{err:?}");
    }

    #[test]
    fn drop_oldest_keeps_the_first_exchange() {
        // 71 prompt + 10 reply into 60: drop two exchanges after the first.
        let got = fit(&conv(3), OverflowPolicy::DropOldest, 60, 10, ten_each).unwrap();
        assert_eq!(got.tokens.len(), 31);
        assert_eq!(got.dropped, Some(Dropped { message_indices: vec![2, 3, 4, 5], tokens: 40 }));
    }

    #[test]
    fn rolling_window_drops_from_the_start() {
        let got = fit(&conv(3), OverflowPolicy::RollingWindow, 60, 10, ten_each).unwrap();
        assert_eq!(got.dropped, Some(Dropped { message_indices: vec![0, 1, 2, 3], tokens: 40 }));
    }

    #[test]
    fn a_last_message_too_big_for_any_policy_is_an_error() {
        for policy in [OverflowPolicy::DropOldest, OverflowPolicy::RollingWindow] {
            let err = fit(&conv(3), policy, 15, 10, ten_each).unwrap_err();
            assert!(matches!(err, EngineError::ContextOverflow { limit: 15, .. }), "{policy:?}: {err:?}");
        }
    }
}
