//! Prefill while the user types, and the reply text as our tokenizer decodes
//! it, on the real demo model.

mod common;

use common::load_demo;
use desk_engine::{CancelHandle, PREFILL_CHUNK};
use desk_protocol::{Conversation, Message, OverflowPolicy, SamplingParams};

const PASTE: &str = "```python\ndef moving_average(xs, k):\n    out = []\n    for i in range(len(xs) - k + 1):\n        out.append(sum(xs[i:i + k]) / k)\n    return out\n```\n";

fn with_question(before: &Conversation, text: &str) -> Conversation {
    let mut c = before.clone();
    c.messages.push(Message::user(text));
    c
}

#[tokio::test]
async fn the_draft_prefix_is_a_prefix_of_the_prompt_that_is_sent() {
    let engine = load_demo(None).await;
    let earlier = Conversation {
        system: Some("Be brief.".into()),
        messages: vec![Message::user("hi"), Message::assistant("Hello! How can I help?")],
    };
    let drafts = [
        format!("{PASTE}What does this do"),
        format!("{PASTE}"),
        "no line break yet".to_string(),
        "windows\r\nline endings\r\nand more".to_string(),
        "ünïcode ✓\n🦀 then".to_string(),
    ];
    for before in [Conversation::new(None), earlier] {
        for draft in &drafts {
            let prefix = engine.draft_prefix(&before, draft).await.unwrap();
            // Whatever is typed after the draft's last line break.
            for typed in ["", "?", " and why is it slow?", "\n\nMore lines\n"] {
                let sent = engine.prompt_tokens(&with_question(&before, &format!("{draft}{typed}"))).await.unwrap();
                assert!(sent.starts_with(&prefix), "draft {draft:?} + {typed:?}: {} prefix tokens not at the start", prefix.len());
            }
            // The earlier turns and the template's opening are stable even before any line
            // break; only the last few pieces before the message (the template's line break,
            // which a message opening with spaces or breaks would join) and its closing are not.
            let opening = engine.prompt_tokens(&with_question(&before, "x")).await.unwrap();
            assert!(prefix.len() + 10 >= opening.len(), "{draft:?}: only {} of {} tokens", prefix.len(), opening.len());
        }
    }
}

#[tokio::test]
async fn a_prefilled_paste_gets_the_same_greedy_reply_as_a_cold_one() {
    let params = SamplingParams::greedy(24);
    let draft = format!("{}{}", PASTE.repeat(6), "What does this function return for k larger than the list?");
    let conv = with_question(&Conversation::new(None), &draft);

    let cold_engine = load_demo(None).await;
    let cold = cold_engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;

    let engine = load_demo(None).await;
    let prefix = engine.draft_prefix(&Conversation::new(None), &draft).await.unwrap();
    assert!(prefix.len() > PREFILL_CHUNK, "the paste spans more than one chunk: {}", prefix.len());
    let mut steps = Vec::new();
    let done = engine.prefill(&prefix, &CancelHandle::default(), |p| steps.push(p)).await.unwrap();
    assert_eq!((done.ready, done.total), (prefix.len(), prefix.len()));
    assert!(steps.windows(2).all(|w| w[0].ready < w[1].ready), "progress only grows: {steps:?}");
    assert_eq!(steps.len(), 1 + prefix.len().div_ceil(PREFILL_CHUNK), "{steps:?}");
    let sent = engine.prompt_tokens(&conv).await.unwrap();
    assert_eq!(engine.ready_len(&sent), prefix.len());

    let warm = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert!(!cold.text.trim().is_empty(), "{cold:?}");
    assert_eq!(warm.text, cold.text, "the prefix cache changed the reply");
    assert_eq!(warm.usage.prompt_tokens, cold.usage.prompt_tokens);
}

#[tokio::test]
async fn a_stopped_prefill_ends_at_a_chunk_boundary_and_resumes_there() {
    let engine = load_demo(None).await;
    let draft = format!("{}{}", PASTE.repeat(6), "Why?");
    let prefix = engine.draft_prefix(&Conversation::new(None), &draft).await.unwrap();
    let stop = CancelHandle::default();
    let stopper = stop.clone();
    let first = engine
        .prefill(&prefix, &stop, move |p| {
            if p.ready > 0 {
                stopper.cancel();
            }
        })
        .await
        .unwrap();
    assert_eq!(first.ready, PREFILL_CHUNK, "stopped after the chunk in flight");
    let rest = engine.prefill(&prefix, &CancelHandle::default(), |_| {}).await.unwrap();
    assert_eq!(rest.ready, prefix.len());
}

/// mistralrs trims the first streamed delta's leading whitespace; a
/// continuation must keep it. llama.cpp's `llama-completion` (greedy, same
/// GGUF, bench/fidelity.sh) continues HumanEval/1's prompt with "\n# Test the function".
#[tokio::test]
async fn a_continuation_keeps_its_leading_newline() {
    let engine = load_demo(None).await;
    let prompt = concat!(
        "from typing import List\n\n\ndef separate_paren_groups(paren_string: str) -> List[str]:\n",
        "    \"\"\" Input to this function is a string containing multiple groups of nested parentheses. Your goal is to\n",
        "    separate those group into separate strings and return the list of those.\n",
        "    Separate groups are balanced (each open brace is properly closed) and not nested within each other\n",
        "    Ignore any spaces in the input string.\n",
        "    >>> separate_paren_groups('( ) (( )) (( )( ))')\n",
        "    ['()', '(())', '(()())']\n",
        "    \"\"\"\n",
    );
    let reply = engine.complete(prompt, &SamplingParams::greedy(4)).await.unwrap().collect_reply(|_| {}).await;
    assert_eq!(reply.text, "\n# Test the", "{reply:?}");
}

/// mistralrs 0.8.1 keeps every finished request's KV cache on CPU; past the
/// budget the engine starts a fresh mistralrs engine on the same weights.
#[tokio::test]
async fn the_prefix_cache_is_dropped_past_its_budget_and_replies_stay_the_same() {
    // One short chat's entry is 512 tokens x 46 KB here (24 MB): the second one passes 30 MB.
    let options = desk_engine::LoadOptions { prefix_cache_bytes: Some(30 << 20), ..Default::default() };
    let engine = desk_engine::Engine::load(&common::demo_model(), options, |_| {}).await.unwrap();
    let params = SamplingParams::greedy(12);
    let ask = |q: &str| with_question(&Conversation::new(None), q);
    let first = engine.stream(&ask("What is a closure?"), &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert_eq!(engine.prefix_cache().1, 0, "nothing held yet: nothing to drop");
    let other = engine.stream(&ask("Name three sorting algorithms."), &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert_eq!(engine.prefix_cache().1, 1, "a new chat past the budget drops the cache");
    assert!(!other.text.is_empty());
    // The next turn of a chat reuses the cache, so it is kept (until twice the budget).
    let mut conv = ask("Name three sorting algorithms.");
    conv.messages.push(Message::assistant(other.text.clone()));
    conv.messages.push(Message::user("Which is fastest?"));
    let next = engine.stream(&conv, &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert!(!next.text.is_empty());
    assert_eq!(engine.prefix_cache().1, 1, "the next turn keeps the cache it reuses");
    // On a fresh mistralrs engine the same question gets the same greedy answer.
    let again = engine.stream(&ask("What is a closure?"), &params, OverflowPolicy::Error).await.unwrap().collect_reply(|_| {}).await;
    assert_eq!(engine.prefix_cache().1, 2);
    assert_eq!(again.text, first.text);
}
