#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use desk_protocol::{ConversationId, Message, MessageId, ReplyEnd, Usage};
use desk_store::{NewConversation, OpenReport, Store, StoreOptions};

pub fn fast_options() -> StoreOptions {
    StoreOptions {
        flush_interval: Duration::from_millis(2),
        ..StoreOptions::default()
    }
}

pub fn open(dir: &Path) -> anyhow::Result<(Store, OpenReport)> {
    Ok(Store::open_with(dir, fast_options())?)
}

pub fn usage(tokens: usize) -> Usage {
    Usage {
        prompt_tokens: 17,
        completion_tokens: tokens,
        ttft_ms: 123.456_789,
        prompt_tok_per_s: 210.0 / 3.0,
        decode_tok_per_s: 0.1 + 0.2,
    }
}

/// One question and a finished reply; returns (question, reply) ids.
pub fn exchange(
    store: &Store,
    chat: ConversationId,
    parent: Option<MessageId>,
    question: &str,
    answer: &str,
) -> anyhow::Result<(MessageId, MessageId)> {
    let q = store.add_message(chat, parent, &Message::user(question))?;
    let mut w = store.begin_reply(chat, q)?;
    w.push(answer)?;
    w.finish(
        ReplyEnd::Finished,
        None,
        Some(usage(answer.split_whitespace().count())),
    )?;
    Ok((q, w.id()))
}

pub fn new_chat(store: &Store, system: Option<&str>) -> anyhow::Result<ConversationId> {
    Ok(store.create_conversation(&NewConversation {
        model: Some("codellama-7b-instruct.Q4_K_M.gguf".into()),
        settings_json: Some(r#"{"temperature":0.2,"max_tokens":512}"#.into()),
        system: system.map(str::to_string),
        ..NewConversation::default()
    })?)
}
