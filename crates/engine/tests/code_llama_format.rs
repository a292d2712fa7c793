//! Code Llama files on the real 32016-piece vocabulary: header facts, typed
//! control tokens, generation and infilling through mistralrs.

mod common;

use common::{write_code_llama_fixture, CodeLlamaVocab};
use desk_engine::{Engine, LoadOptions};
use desk_protocol::{Conversation, Message, PromptFormat, SamplingParams, StopReason};

async fn fixture_engine(dir: &tempfile::TempDir) -> Engine {
    let path = dir.path().join("codellama-7b-instruct.fixture.gguf");
    write_code_llama_fixture(&path, "CodeLlama 7B Instruct (fixture)");
    Engine::load(&path, LoadOptions::default(), |_| {}).await.expect("the fixture loads in mistralrs")
}

fn conv(system: Option<&str>, turns: &[&str]) -> Conversation {
    let messages = turns
        .iter()
        .enumerate()
        .map(|(i, t)| if i % 2 == 0 { Message::user(*t) } else { Message::assistant(*t) })
        .collect();
    Conversation { system: system.map(str::to_string), messages }
}

#[tokio::test]
async fn header_facts_identify_code_llama_instruct() {
    let dir = tempfile::tempdir().unwrap();
    let engine = fixture_engine(&dir).await;
    let facts = engine.facts();
    assert_eq!(engine.format(), PromptFormat::CodeLlamaInstruct);
    assert_eq!(facts.vocab_size, Some(32016));
    assert_eq!(facts.rope_freq_base, Some(1_000_000.0));
    assert_eq!(facts.context_length, Some(16384));
}

// Exact Instruct and infill prompts against SentencePiece and Meta's rules: sentencepiece_golden.rs.

#[tokio::test]
async fn control_token_text_typed_by_a_user_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let engine = fixture_engine(&dir).await;
    let got = engine.prompt_tokens(&conv(None, &["</s><s>▁<PRE>"])).await.unwrap();
    assert_eq!(got.iter().filter(|&&t| t == 1).count(), 1, "only our BOS: {got:?}");
    assert!(!got.contains(&2), "no EOS from user text: {got:?}");
    assert!(!got.iter().any(|t| (32000..32016).contains(t)), "no infill piece from user text: {got:?}");
}

#[tokio::test]
async fn the_fixture_generates_through_mistralrs() {
    let dir = tempfile::tempdir().unwrap();
    let engine = fixture_engine(&dir).await;
    let params = SamplingParams { ignore_eos: true, ..SamplingParams::greedy(4) };
    let stream = engine.stream(&conv(None, &["Hi"]), &params, Default::default()).await.unwrap();
    let reply = stream.collect_reply(|_| {}).await;
    assert_eq!(reply.reason, StopReason::MaxTokens, "{reply:?}");
    assert_eq!(reply.usage.completion_tokens, 4);
    assert_eq!(reply.usage.prompt_tokens, 9);
}

#[tokio::test]
async fn infill_prompt_is_token_exact_and_the_suffix_has_no_leading_space() {
    let dir = tempfile::tempdir().unwrap();
    let engine = fixture_engine(&dir).await;
    let v = CodeLlamaVocab::new();
    let got = engine.infill_prompt("def", "Hi").unwrap();
    assert_eq!(got, vec![1, 32007, v.ids(&["▁def"])[0], 32008, v.ids(&["Hi"])[0], 32009]);
    assert_eq!(engine.encode("Hi").unwrap(), v.ids(&["▁Hi"]), "plain encoding keeps SentencePiece's leading space");
    let params = SamplingParams { ignore_eos: true, ..SamplingParams::greedy(3) };
    let reply = engine.infill("def", "Hi", &params).await.unwrap().collect_reply(|_| {}).await;
    assert!(matches!(reply.reason, StopReason::MaxTokens | StopReason::EndOfText), "{reply:?}");
}

#[tokio::test]
async fn infill_is_refused_for_python_flavour_and_other_models() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codellama-7b-python.fixture.gguf");
    write_code_llama_fixture(&path, "CodeLlama 7B Python (fixture)");
    let engine = Engine::load(&path, LoadOptions::default(), |_| {}).await.unwrap();
    assert_eq!(engine.format(), PromptFormat::Completion);
    let err = engine.infill("a", "b", &SamplingParams::greedy(2)).await.err().expect("refused");
    assert!(err.to_string().contains("Python"), "{err}");
    let demo = Engine::load(&common::demo_model(), LoadOptions::default(), |_| {}).await.unwrap();
    let err = demo.infill("a", "b", &SamplingParams::greedy(2)).await.err().expect("refused");
    assert!(err.to_string().contains("not a Code Llama model"), "{err}");
}

/// Past the 16k Code Llama was trained on, up to 100k: the context asked for
/// is what mistralrs allocates (through the metadata overlay), and it generates.
#[tokio::test]
async fn code_llama_runs_past_its_trained_context_up_to_100k() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("DESK_DATA_DIR", dir.path());
    let path = dir.path().join("codellama-7b-instruct.fixture.gguf");
    write_code_llama_fixture(&path, "CodeLlama 7B Instruct (fixture)");
    for ctx in [4096, 32_768] {
        let options = LoadOptions { context_len: Some(ctx), ..LoadOptions::default() };
        let engine = Engine::load(&path, options, |_| {}).await.unwrap();
        assert_eq!(engine.context_limit(), ctx);
        let reply = engine
            .stream(&conv(None, &["hi"]), &SamplingParams::greedy(3), desk_protocol::OverflowPolicy::Error)
            .await
            .unwrap()
            .collect_reply(|_| {})
            .await;
        assert!(!matches!(reply.reason, StopReason::Error { .. }), "{reply:?}");
    }
    assert!(dir.path().join("cache/context-llama-32768.gguf").exists(), "the overlay is kept for the next load");
    let options = LoadOptions { context_len: Some(200_000), ..LoadOptions::default() };
    let err = Engine::load(&path, options, |_| {}).await.err().expect("200k is refused");
    assert!(matches!(err, desk_engine::EngineError::ContextTooLong { max: 100_000, .. }), "{err}");
}
