//! Behaviour on the real demo model (SmolLM2-135M-Instruct, Q4_1).

mod common;

use common::load_demo;
use desk_engine::EngineError;
use desk_protocol::{ChatEvent, Conversation, Message, OverflowPolicy, PromptFormat, SamplingParams, StopReason};
use futures::StreamExt;

fn ask(q: &str) -> Conversation {
    Conversation { system: None, messages: vec![Message::user(q)] }
}

#[tokio::test]
async fn greedy_answer_is_deterministic_across_runs() {
    let engine = load_demo(None).await;
    assert_eq!(engine.format(), PromptFormat::ChatTemplate);
    let params = SamplingParams::greedy(24);
    let conv = ask("Write a Python function that reverses a string.");
    let a = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    let b = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert!(!a.text.trim().is_empty(), "{a:?}");
    assert_eq!(a.text, b.text);
    assert!(matches!(a.reason, StopReason::MaxTokens | StopReason::EndOfText), "{a:?}");
    assert!(a.usage.completion_tokens > 0 && a.usage.completion_tokens <= 24, "{:?}", a.usage);
}

#[tokio::test]
async fn same_seed_same_sampled_answer() {
    let engine = load_demo(None).await;
    let params = SamplingParams { temperature: 0.9, seed: Some(1234), ..SamplingParams::greedy(20) };
    let conv = ask("Name three sorting algorithms.");
    let run = async || engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    let (a, b) = (run().await, run().await);
    assert_eq!(a.text, b.text);
}

#[tokio::test]
async fn multi_turn_keeps_context() {
    let engine = load_demo(None).await;
    let params = SamplingParams::greedy(20);
    let question = "What is the name of the function I am writing?";
    let mut conv = Conversation {
        system: None,
        messages: vec![Message::user("I am writing a function called zanzibar_total in Python.")],
    };
    let first = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    conv.messages.push(Message::assistant(first.text));
    conv.messages.push(Message::user(question));
    let second = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert!(second.text.contains("zanzibar_total"), "the model lost the first turn: {second:?}");
    assert!(second.usage.prompt_tokens > first.usage.prompt_tokens);
    // Control: without the first turn the name cannot come up.
    let alone = engine.stream(&ask(question), &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert!(!alone.text.contains("zanzibar"), "{alone:?}");
}

#[tokio::test]
async fn cancel_after_n_tokens_returns_exactly_those_tokens() {
    let engine = load_demo(None).await;
    let params = SamplingParams { ignore_eos: true, ..SamplingParams::greedy(40) };
    let conv = ask("Explain what a hash map is.");
    let full = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;

    let mut stream = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap();
    let cancel = stream.cancel_handle();
    let mut seen = Vec::new();
    let mut stopped = None;
    while let Some(event) = stream.next().await {
        match event {
            ChatEvent::Text { delta } => {
                seen.push(delta);
                if seen.len() == 5 {
                    cancel.cancel();
                }
            }
            ChatEvent::Stopped { reason, text } => stopped = Some((reason, text)),
            _ => {}
        }
    }
    let (reason, text) = stopped.expect("a Stopped event ends every stream");
    assert_eq!(reason, StopReason::Cancelled);
    assert_eq!(seen.len(), 5, "no text after the stop");
    assert_eq!(text, seen.concat());
    assert!(full.text.starts_with(&text), "the partial reply is a prefix of the full one");
    assert!(text.len() < full.text.len());

    // The engine is free again after a cancel.
    let again = engine.stream(&conv, &SamplingParams::greedy(3), OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert_eq!(again.usage.completion_tokens, 3);
}

fn long_conversation() -> Conversation {
    let mut messages = Vec::new();
    for i in 0..6 {
        messages.push(Message::user(format!("Question {i}: {}", "tell me about iterators in Rust. ".repeat(4))));
        messages.push(Message::assistant(format!("Answer {i}: {}", "an iterator yields items one at a time. ".repeat(4))));
    }
    messages.push(Message::user("Summarise."));
    Conversation { system: Some("You are a coding assistant.".into()), messages }
}

#[tokio::test]
async fn overflow_policies_drop_what_they_say() {
    let engine = load_demo(Some(256)).await;
    assert_eq!(engine.context_limit(), 256);
    let conv = long_conversation();
    let params = SamplingParams::greedy(16);
    let full = engine.prompt_tokens(&conv).await.unwrap().len();
    assert!(full > 256, "the conversation must overflow for this test ({full} tokens)");

    let err = engine.stream(&conv, &params, OverflowPolicy::Error).await.err().expect("error policy refuses");
    assert!(matches!(err, EngineError::ContextOverflow { limit: 256, .. }), "{err}");

    for (policy, first_dropped) in [(OverflowPolicy::DropOldest, 2), (OverflowPolicy::RollingWindow, 0)] {
        let fitted = engine.fit_prompt(&conv, &params, policy).await.unwrap();
        let dropped = fitted.dropped.clone().expect("something was dropped");
        assert_eq!(dropped.message_indices[0], first_dropped, "{policy:?}");
        assert!(dropped.message_indices.len() % 2 == 0, "whole exchanges are dropped");
        assert!(fitted.tokens.len() + 16 <= 256, "{policy:?}: {} tokens", fitted.tokens.len());
        assert_eq!(dropped.tokens, full - fitted.tokens.len());
        // What is left is exactly the conversation without the dropped messages.
        let kept = Conversation {
            system: conv.system.clone(),
            messages: conv.messages.iter().enumerate().filter(|(i, _)| !dropped.message_indices.contains(i)).map(|(_, m)| m.clone()).collect(),
        };
        assert_eq!(engine.prompt_tokens(&kept).await.unwrap(), fitted.tokens);
        if policy == OverflowPolicy::DropOldest {
            assert!(kept.messages[0].content.starts_with("Question 0"), "first user turn kept");
        }

        let mut stream = engine.stream(&conv, &params, policy).await.unwrap();
        match stream.next().await {
            Some(ChatEvent::Started { dropped: Some(d), prompt_tokens, .. }) => {
                assert_eq!(d, dropped);
                assert_eq!(prompt_tokens, fitted.tokens.len());
            }
            other => panic!("expected Started with what was dropped, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_context_setting_is_what_the_engine_allocates() {
    let engine = common::load_demo(Some(2048)).await;
    assert_eq!(engine.context_limit(), 2048);
    // Not Code Llama: no running past the 8192 tokens it was trained on.
    let options = desk_engine::LoadOptions { context_len: Some(16_384), ..Default::default() };
    let err = desk_engine::Engine::load(&common::demo_model(), options, |_| {}).await.err().expect("refused");
    assert!(matches!(err, desk_engine::EngineError::ContextTooLong { max: 8192, .. }), "{err}");
    assert!(err.to_string().contains("not a Code Llama model"), "{err}");
}
