//! Code Llama prompts on its real vocabulary against ids written by
//! SentencePiece itself and Meta's generation.py rules
//! (reference/code_llama_sentencepiece.py made reference/code_llama_golden.json).

mod common;

use std::path::PathBuf;

use common::write_code_llama_fixture;
use desk_engine::{vocab::load_tokenizer, Engine, LoadOptions};
use desk_protocol::{Conversation, Message};
use serde_json::Value;

fn golden() -> Value {
    let text = include_str!("reference/code_llama_golden.json");
    serde_json::from_str(text).expect("the golden file parses")
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().expect("a list of ids").iter().map(|x| x.as_u64().expect("an id") as u32).collect()
}

fn fixture(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("codellama-7b-instruct.fixture.gguf");
    write_code_llama_fixture(&path, "CodeLlama 7B Instruct (fixture)");
    path
}

fn humaneval() -> PathBuf {
    std::env::var_os("DESK_HUMANEVAL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-data/HumanEval.jsonl.gz"))
}

#[test]
fn awkward_text_and_every_humaneval_solution_encode_as_sentencepiece_does() {
    let dir = tempfile::tempdir().unwrap();
    let tok = load_tokenizer(&fixture(&dir)).expect("the fixture's tokenizer");
    let g = golden();
    let mut wrong = Vec::new();
    for case in g["text"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        if tok.encode(text) != ids(&case["ids"]) {
            wrong.push(format!("{text:?}: want {:?} got {:?}", ids(&case["ids"]), tok.encode(text)));
        }
    }
    for case in g["infill_text"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        if tok.encode_infill(text) != ids(&case["ids"]) {
            wrong.push(format!("infill {text:?}: want {:?} got {:?}", ids(&case["ids"]), tok.encode_infill(text)));
        }
    }
    let problems = desk_eval::load(humaneval()).expect("HumanEval (fetched by the setup)");
    let expected = g["humaneval"].as_object().unwrap();
    assert_eq!(problems.len(), expected.len());
    for p in &problems {
        if tok.encode(&format!("{}{}", p.prompt, p.canonical_solution)) != ids(&expected[&p.task_id]) {
            wrong.push(format!("{} differs", p.task_id));
        }
    }
    assert!(wrong.is_empty(), "{} texts differ from SentencePiece:\n{}", wrong.len(), wrong.join("\n"));
}

fn conversation(dialog: &Value) -> Conversation {
    let mut conv = Conversation { system: None, messages: Vec::new() };
    for m in dialog.as_array().unwrap() {
        let content = m["content"].as_str().unwrap();
        match m["role"].as_str().unwrap() {
            "system" => conv.system = Some(content.to_string()),
            "user" => conv.messages.push(Message::user(content)),
            _ => conv.messages.push(Message::assistant(content)),
        }
    }
    conv
}

#[tokio::test]
async fn instruct_and_infill_prompts_equal_metas_rules_on_the_real_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::load(&fixture(&dir), LoadOptions::default(), |_| {}).await.expect("the fixture loads");
    let g = golden();
    for case in g["chat"].as_array().unwrap() {
        let got = engine.prompt_tokens(&conversation(&case["dialog"])).await.unwrap();
        assert_eq!(got, ids(&case["ids"]), "chat case {}", case["name"]);
    }
    for case in g["infill"].as_array().unwrap() {
        let got = engine.infill_prompt(case["prefix"].as_str().unwrap(), case["suffix"].as_str().unwrap()).unwrap();
        assert_eq!(got, ids(&case["ids"]), "infill case {}", case["name"]);
    }
}
