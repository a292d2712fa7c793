//! Against a real llama.cpp llama-server (built by bench/build-llama-cpp.sh
//! from the llama-cpp-python sdist) serving the demo model on 127.0.0.1.
//! Without the build these tests say so and pass; the replay of a recorded
//! llama-server stream in `replay.rs` runs everywhere.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use desk_engine::{Backend, Prompter};
use desk_protocol::{ChatEvent, Conversation, Message, OverflowPolicy, SamplingParams, StopReason};
use desk_remote::{Remote, RemoteConfig};
use futures::StreamExt;

const DEMO: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DESK_LLAMA_SERVER") {
        return Some(PathBuf::from(p));
    }
    let bench = std::env::var_os("DESK_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-bench")
    });
    let mut found: Vec<PathBuf> = std::fs::read_dir(&bench).ok()?.flatten().map(|e| e.path().join("bin/llama-server")).filter(|p| p.is_file()).collect();
    found.sort();
    found.pop()
}

struct Server {
    child: tokio::process::Child,
    url: String,
}

impl Server {
    /// `None` (and a line on stderr) when llama-server is not built here.
    async fn start() -> Option<Server> {
        let Some(bin) = server_binary() else {
            eprintln!("llama-server not built (bash bench/build-llama-cpp.sh): skipping the live llama-server checks");
            return None;
        };
        let model = repo().join("models").join(DEMO);
        assert!(model.is_file(), "the demo model is missing: bash models/fetch-demo-model.sh");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = tokio::process::Command::new(bin)
            .arg("-m")
            .arg(&model)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-c", "2048", "-np", "1", "-t", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("llama-server starts");
        let url = format!("http://127.0.0.1:{port}");
        let t0 = Instant::now();
        loop {
            let ok = reqwest::get(format!("{url}/health")).await.map(|r| r.status().is_success()).unwrap_or(false);
            if ok {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(120), "llama-server did not become healthy");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Some(Server { child, url })
    }

    fn config(&self) -> RemoteConfig {
        let mut c = RemoteConfig::new(self.url.clone());
        c.search = vec![repo().join("models")];
        c
    }
}

fn question(text: &str) -> Conversation {
    Conversation { system: None, messages: vec![Message::user(text)] }
}

async fn reply(remote: &Remote, conv: &Conversation, params: &SamplingParams) -> (String, StopReason, usize) {
    let (stream, _) = remote.stream(conv, params, OverflowPolicy::Error).await.expect("starts");
    let events: Vec<ChatEvent> = tokio::time::timeout(Duration::from_secs(300), stream.collect()).await.expect("ends");
    let prompt = events.iter().find_map(|e| if let ChatEvent::Usage(u) = e { Some(u.prompt_tokens) } else { None }).unwrap_or(0);
    match events.last() {
        Some(ChatEvent::Stopped { reason, text }) => (text.clone(), reason.clone(), prompt),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn greedy_chat_through_llama_server_is_its_own_answer_for_our_ids() {
    let Some(server) = Server::start().await else { return };
    let remote = Remote::connect(server.config(), &mut |_| {}).await.expect("connects");
    assert!(remote.token_ids(), "the demo model's vocabulary is in models/: {:?}", remote.remote());
    assert_eq!(remote.context_limit(), 2048, "the context llama-server allocated (/props)");
    let local = Prompter::open(&repo().join("models").join(DEMO)).unwrap();
    let params = SamplingParams::greedy(48);
    for text in ["What does `len(xs)` return in Python? One sentence.", "Write a Python function that reverses a string."] {
        let conv = question(text);
        let (got, reason, prompt_tokens) = reply(&remote, &conv, &params).await;
        let ids = local.prompt_tokens(&conv).unwrap();
        assert_eq!(prompt_tokens, ids.len(), "the server counted the ids we built");
        // llama-server's own route, the same ids, greedy: what it answers by itself.
        let body = serde_json::json!({"prompt": ids, "n_predict": 48, "temperature": 0.0, "cache_prompt": false});
        let own: serde_json::Value = reqwest::Client::new().post(format!("{}/completion", server.url)).json(&body).send().await.unwrap().json().await.unwrap();
        let own_text = own["content"].as_str().unwrap();
        assert_eq!(got, own_text, "streamed through desk vs llama-server's /completion");
        assert!(!got.is_empty());
        assert!(matches!(reason, StopReason::EndOfText | StopReason::MaxTokens), "{reason:?}");
    }
}

#[tokio::test]
async fn completion_and_the_servers_own_template_work_too() {
    let Some(server) = Server::start().await else { return };
    let mut config = server.config();
    config.search = Vec::new();
    let templated = Remote::connect(config, &mut |_| {}).await.expect("connects");
    assert!(!templated.token_ids());
    assert!(templated.remote().unwrap().note.unwrap().contains("own chat template"));
    let (text, reason, prompt) = reply(&templated, &question("Say hello."), &SamplingParams::greedy(16)).await;
    assert!(!text.is_empty() && prompt > 0, "{text:?} {prompt}");
    assert!(matches!(reason, StopReason::EndOfText | StopReason::MaxTokens), "{reason:?}");

    let exact = Remote::connect(server.config(), &mut |_| {}).await.unwrap();
    let (stream, _) = exact.complete("def add(a, b):\n", &SamplingParams::greedy(12)).await.unwrap();
    let r = desk_engine::collect_reply(stream, |_| {}, |_| {}).await;
    assert_eq!(r.reason, StopReason::MaxTokens);
    assert_eq!(r.usage.completion_tokens, 12);
    assert!(!r.text.is_empty());
    // Infill needs Code Llama: refused before anything is sent.
    let err = exact.infill("a", "b", &SamplingParams::greedy(4)).await.err().unwrap().to_string();
    assert!(err.contains("not a Code Llama model"), "{err}");
}

#[tokio::test]
async fn the_server_killed_mid_reply_leaves_an_interrupted_reply_with_what_came() {
    let Some(mut server) = Server::start().await else { return };
    let remote = Remote::connect(server.config(), &mut |_| {}).await.unwrap();
    let params = SamplingParams { ignore_eos: true, ..SamplingParams::greedy(1500) };
    let (mut stream, _) = remote.stream(&question("Count from 1 to 1000."), &params, OverflowPolicy::Error).await.unwrap();
    let mut shown = String::new();
    let mut deltas = 0;
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(120), stream.next()).await.expect("no hang") {
            Some(ChatEvent::Text { delta }) => {
                shown.push_str(&delta);
                deltas += 1;
                if deltas == 5 {
                    server.child.start_kill().unwrap();
                }
            }
            Some(ChatEvent::Stopped { reason, text }) => break (reason, text),
            Some(_) => {}
            None => panic!("no Stopped event"),
        }
    };
    assert_eq!(end.1, shown, "the reply keeps exactly what was shown");
    assert!(deltas >= 5 && deltas < 1500, "{deltas}");
    assert!(matches!(&end.0, StopReason::Interrupted { .. }), "{:?}", end.0);
}

/// Rewrites `tests/golden/llama_server_chat.{sse,json}` (replayed by `replay.rs`)
/// from the real server: `DESK_RECORD_GOLDEN=1 cargo test --release -p desk-remote --test llama_server record`.
#[tokio::test]
async fn record_a_llama_server_stream_for_the_replay_test() {
    if std::env::var_os("DESK_RECORD_GOLDEN").is_none() {
        return;
    }
    let Some(server) = Server::start().await else { return };
    let local = Prompter::open(&repo().join("models").join(DEMO)).unwrap();
    let conv = question("Explain what this does:\n```python\nprint(sorted({3, 1, 2}))\n```");
    let ids = local.prompt_tokens(&conv).unwrap();
    let body = serde_json::json!({"model": DEMO, "prompt": ids, "max_tokens": 40, "temperature": 0.0, "stream": true, "stream_options": {"include_usage": true}});
    let raw = reqwest::Client::new().post(format!("{}/v1/completions", server.url)).json(&body).send().await.unwrap().text().await.unwrap();
    let whole = serde_json::json!({"prompt": ids, "n_predict": 40, "temperature": 0.0, "cache_prompt": false});
    let own: serde_json::Value = reqwest::Client::new().post(format!("{}/completion", server.url)).json(&whole).send().await.unwrap().json().await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    std::fs::create_dir_all(&dir).unwrap();
    // The model's id is the path it was started with: keep this machine's folders out.
    let raw = raw.replace(&repo().join("models").join(DEMO).display().to_string(), DEMO);
    std::fs::write(dir.join("llama_server_chat.sse"), &raw).unwrap();
    let meta = serde_json::json!({
        "source": "llama.cpp llama-server from llama-cpp-python 0.3.36's vendor/llama.cpp, demo model, greedy",
        "question": conv.messages[0].content,
        "prompt_ids": ids,
        "text": own["content"],
    });
    std::fs::write(dir.join("llama_server_chat.json"), serde_json::to_string_pretty(&meta).unwrap() + "\n").unwrap();
}
