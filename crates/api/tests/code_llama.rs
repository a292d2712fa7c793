//! Through HTTP to the engine on the 32016-piece Code Llama fixture: the ids
//! the model receives equal SentencePiece's and Meta's (golden file made by
//! crates/engine/tests/reference/code_llama_sentencepiece.py).

#[path = "../../engine/tests/common/mod.rs"]
mod common;
mod http;

use std::sync::Arc;

use desk_api::{Config, Fixed, KeySource};
use desk_engine::{Backend, Engine, LoadOptions};
use serde_json::{json, Value};

const KEY: &str = "test-key";

fn golden() -> Value {
    serde_json::from_str(include_str!("../../engine/tests/reference/code_llama_golden.json")).unwrap()
}

async fn serve_fixture(dir: &tempfile::TempDir) -> (Arc<Engine>, desk_api::Server) {
    let path = dir.path().join("codellama-7b-instruct.fixture.gguf");
    common::write_code_llama_fixture(&path, "CodeLlama 7B Instruct (fixture)");
    let engine = Arc::new(Engine::load(&path, LoadOptions::default(), |_| {}).await.expect("the fixture loads"));
    let config = Config { host: "127.0.0.1".parse().unwrap(), port: 0, key: KEY.into(), key_source: KeySource::Given };
    let server = desk_api::start(config, Arc::new(Fixed(engine.clone() as Arc<dyn Backend>)), None).await.unwrap();
    (engine, server)
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect()
}

#[tokio::test]
async fn fill_in_the_middle_through_completions_and_infill_is_metas_format() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, server) = serve_fixture(&dir).await;
    let addr = server.addr();
    for case in golden()["infill"].as_array().unwrap() {
        let (name, prefix, suffix, want) = (&case["name"], &case["prefix"], &case["suffix"], ids(&case["ids"]));
        let r = http::post(addr, KEY, "/v1/completions", &json!({"prompt": prefix, "suffix": suffix, "max_tokens": 2, "temperature": 0})).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        assert_eq!(engine.last_prompt(), want, "{name} through /v1/completions");
        let body = r.json();
        assert_eq!(body["object"], "text_completion");
        assert_eq!(body["usage"]["prompt_tokens"].as_u64(), Some(want.len() as u64), "{name}: usage is the engine's count");

        let r = http::post(addr, KEY, "/infill", &json!({"input_prefix": prefix, "input_suffix": suffix, "n_predict": 2, "temperature": 0})).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        assert_eq!(engine.last_prompt(), want, "{name} through /infill");
        assert_eq!(r.json()["tokens_evaluated"].as_u64(), Some(want.len() as u64));
    }
    server.stop().await;
}

#[tokio::test]
async fn chat_completions_get_metas_instruct_format() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, server) = serve_fixture(&dir).await;
    for case in golden()["chat"].as_array().unwrap() {
        let r = http::post(server.addr(), KEY, "/v1/chat/completions", &json!({"messages": case["dialog"], "max_tokens": 2})).await;
        assert_eq!(r.status, 200, "{}: {}", case["name"], r.body);
        assert_eq!(engine.last_prompt(), ids(&case["ids"]), "{}", case["name"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn the_demo_model_cannot_fill_a_hole_and_says_so() {
    let engine: Arc<dyn Backend> = Arc::new(common::load_demo(None).await);
    let config = Config { host: "127.0.0.1".parse().unwrap(), port: 0, key: KEY.into(), key_source: KeySource::Given };
    let server = desk_api::start(config, Arc::new(Fixed(engine)), None).await.unwrap();
    let r = http::post(server.addr(), KEY, "/v1/completions", &json!({"prompt": "def f(", "suffix": ")"})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("not a Code Llama model"), "{}", r.body);
    server.stop().await;
}
