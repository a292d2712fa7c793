//! Fitting a conversation into the context window, by the caller's policy.
//! Whatever is dropped is reported: nothing is truncated silently.

use desk_protocol::{Conversation, Dropped, OverflowPolicy};

use crate::error::EngineError;

#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub tokens: Vec<u32>,
    pub dropped: Option<Dropped>,
}

/// Build the prompt with `build`; if it and `reserve` reply tokens do not fit
/// in `limit`, drop whole exchanges (a user message and its answer), oldest
/// first, as `policy` allows. The last user message is never dropped.
pub async fn fit(
    conv: &Conversation,
    policy: OverflowPolicy,
    limit: usize,
    reserve: usize,
    build: impl AsyncFn(&Conversation) -> Result<Vec<u32>, EngineError>,
) -> Result<Fitted, EngineError> {
    let full = build(conv).await?;
    let overflow = |prompt: usize| EngineError::ContextOverflow { needed: prompt + reserve, prompt, reply: reserve, limit };
    if full.len() + reserve <= limit {
        return Ok(Fitted { tokens: full, dropped: None });
    }
    let first_droppable = match policy {
        OverflowPolicy::Error => return Err(overflow(full.len())),
        OverflowPolicy::DropOldest => 1,
        OverflowPolicy::RollingWindow => 0,
    };
    let exchanges = conv.messages.len().saturating_sub(1) / 2;
    let mut dropped = Vec::new();
    let mut last_len = full.len();
    for k in first_droppable..exchanges {
        dropped.extend([2 * k, 2 * k + 1]);
        let kept = conv
            .messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, m)| m.clone())
            .collect();
        let trimmed = Conversation { system: conv.system.clone(), messages: kept };
        let tokens = build(&trimmed).await?;
        last_len = tokens.len();
        if tokens.len() + reserve <= limit {
            let saved = full.len().saturating_sub(tokens.len());
            return Ok(Fitted { tokens, dropped: Some(Dropped { message_indices: dropped, tokens: saved }) });
        }
    }
    Err(overflow(last_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_protocol::Message;

    /// Ten tokens per message plus one per system prompt.
    async fn ten_each(c: &Conversation) -> Result<Vec<u32>, EngineError> {
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

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn fitting_conversation_is_untouched() {
        let got = block_on(fit(&conv(2), OverflowPolicy::Error, 100, 10, ten_each)).unwrap();
        assert_eq!(got, Fitted { tokens: vec![0; 51], dropped: None });
    }

    #[test]
    fn error_policy_says_how_much() {
        let err = block_on(fit(&conv(3), OverflowPolicy::Error, 60, 10, ten_each)).unwrap_err();
        assert!(matches!(err, EngineError::ContextOverflow { needed: 81, prompt: 71, reply: 10, limit: 60 }), "{err:?}");
    }

    #[test]
    fn drop_oldest_keeps_the_first_exchange() {
        // 71 prompt + 10 reply into 60: drop two exchanges after the first.
        let got = block_on(fit(&conv(3), OverflowPolicy::DropOldest, 60, 10, ten_each)).unwrap();
        assert_eq!(got.tokens.len(), 31);
        assert_eq!(got.dropped, Some(Dropped { message_indices: vec![2, 3, 4, 5], tokens: 40 }));
    }

    #[test]
    fn rolling_window_drops_from_the_start() {
        let got = block_on(fit(&conv(3), OverflowPolicy::RollingWindow, 60, 10, ten_each)).unwrap();
        assert_eq!(got.dropped, Some(Dropped { message_indices: vec![0, 1, 2, 3], tokens: 40 }));
    }

    #[test]
    fn a_last_message_too_big_for_any_policy_is_an_error() {
        for policy in [OverflowPolicy::DropOldest, OverflowPolicy::RollingWindow] {
            let err = block_on(fit(&conv(3), policy, 15, 10, ten_each)).unwrap_err();
            assert!(matches!(err, EngineError::ContextOverflow { limit: 15, .. }), "{policy:?}: {err:?}");
        }
    }
}
