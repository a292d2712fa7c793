//! `desk … --remote URL`: the same commands, history and messages through an
//! OpenAI-compatible server: a scripted one on 127.0.0.1 for the faults, and
//! llama.cpp's llama-server on the demo model when bench has built it.

#[path = "../../remote/tests/fake/mod.rs"]
mod fake;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fake::{chat_delta, chat_finish, models, usage, Fake, Reply, DONE};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Run `desk` off the async runtime (the fake server lives on it).
async fn desk(data: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.args(args).current_dir(root()).env("DESK_DATA_DIR", data).env_remove("DESK_REMOTE_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("desk starts");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.as_bytes()).unwrap();
        drop(pipe);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse(out: &Output) -> Value {
    assert!(out.status.success(), "desk failed: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

async fn history(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["history"];
    all.extend(args);
    all.push("--json");
    parse(&desk(data, &all, "", &[]).await)
}

async fn serving(chat: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Fake {
    Fake::start(move |req, n| match req.path.as_str() {
        "/v1/models" => models(&["gpu-model"]),
        "/v1/chat/completions" => chat(n),
        _ => Reply::json(404, serde_json::json!({"error": {"message": "File Not Found"}})),
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_through_a_server_is_stored_as_that_servers_model_with_its_key() {
    let fake = serving(|_| Reply::sse(vec![chat_delta("Use "), chat_delta("`len`."), chat_finish("stop"), usage(12, 3), DONE.into()])).await;
    let data = tempfile::tempdir().unwrap();
    let out = desk(data.path(), &["ask", "--json", "--remote", &fake.url, "How long is a list?"], "", &[("DESK_REMOTE_KEY", "sk-test")]).await;
    let answer = parse(&out);
    assert_eq!(answer["text"], "Use `len`.");
    assert_eq!(answer["model"], "gpu-model");
    assert_eq!(answer["usage"]["prompt_tokens"], 12);
    assert_eq!(fake.requests_to("/v1/chat/completions")[0].header("authorization"), Some("Bearer sk-test"));
    let id = answer["conversation"].as_i64().unwrap();
    let view = history(data.path(), &["show", &id.to_string()]).await;
    assert_eq!(view["branch"][1]["message"]["content"], "Use `len`.");
    assert_eq!(view["branch"][1]["message"]["stats"]["end"], "finished");
    let listed = history(data.path(), &["list"]).await;
    assert_eq!(listed["conversations"][0]["model"], "gpu-model");
    let stored = std::fs::read(data.path().join("history.db")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&stored).contains("sk-test"), "the key is never stored in the history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_mid_reply_is_kept_in_the_history_marked_interrupted() {
    let fake = serving(|_| Reply::sse(vec![chat_delta("The answer "), chat_delta("is")])).await;
    let data = tempfile::tempdir().unwrap();
    let out = desk(data.path(), &["ask", "--remote", &fake.url, "What is 6 * 7?"], "", &[]).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("interrupted") && err.contains("closed the stream before the reply ended"), "{err}");
    assert_eq!(text(&out.stdout).trim_end(), "The answer is", "what arrived was shown");
    let listed = history(data.path(), &["list"]).await;
    let id = listed["conversations"][0]["id"].as_i64().unwrap();
    let view = history(data.path(), &["show", &id.to_string()]).await;
    let reply = &view["branch"][1]["message"];
    assert_eq!(reply["content"], "The answer is");
    assert_eq!(reply["stats"]["end"], "interrupted");
    assert!(reply["stats"]["error"].as_str().unwrap().contains("closed the stream"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_used_is_a_clear_error_and_nothing_is_stored() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = desk(data.path(), &["ask", "--remote", &url, "hi"], "", &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("connection refused (is the server running"), "{}", text(&out.stderr));
    let out = desk(data.path(), &["ask", "--remote", "http://8.8.8.8:80", "hi"], "", &[]).await;
    assert!(text(&out.stderr).contains("plain http:// to a public address"), "{}", text(&out.stderr));
    let fake = serving(|_| Reply::sse(vec![])).await;
    let out = desk(data.path(), &["ask", "--remote", &fake.url, "--remote-model", "nope", "hi"], "", &[]).await;
    assert!(text(&out.stderr).contains("has no model named \"nope\"; it serves: gpu-model"), "{}", text(&out.stderr));
    let out = desk(data.path(), &["ask", "--remote", &fake.url, "--model", "x.gguf", "hi"], "", &[]).await;
    assert!(text(&out.stderr).contains("--model and --remote both name a model"), "{}", text(&out.stderr));
    assert_eq!(history(data.path(), &["list"]).await["conversations"].as_array().map(Vec::len).unwrap_or(0), 0);
}

fn llama_server() -> Option<PathBuf> {
    let bench = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-bench");
    let env = std::env::var_os("DESK_LLAMA_SERVER").map(PathBuf::from);
    let mut found: Vec<PathBuf> = std::fs::read_dir(bench).into_iter().flatten().flatten().map(|e| e.path().join("bin/llama-server")).filter(|p| p.is_file()).collect();
    found.sort();
    env.or(found.pop())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_through_llama_server_streams_is_stored_and_resumes() {
    let Some(bin) = llama_server() else {
        eprintln!("llama-server not built (bash bench/build-llama-cpp.sh): skipping");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = tokio::process::Command::new(bin)
        .arg("-m")
        .arg(root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-c", "2048", "-np", "1", "-t", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let t0 = Instant::now();
    while !reqwest_health(&url).await {
        assert!(t0.elapsed() < Duration::from_secs(120), "llama-server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let data = tempfile::tempdir().unwrap();
    let gen = ["--temperature", "0", "--max-tokens", "12"];
    let mut args = vec!["chat", "--remote", url.as_str()];
    args.extend(gen);
    let out = desk(data.path(), &args, "What is Rust?\n/quit\n", &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("prompts sent as this app's exact token ids"), "{}", text(&out.stderr));
    let first = text(&out.stdout);
    assert!(!first.trim().is_empty());
    let listed = history(data.path(), &["list"]).await;
    let id = listed["conversations"][0]["id"].as_i64().unwrap().to_string();
    assert_eq!(listed["conversations"][0]["model"], "SmolLM2-135M-Instruct.Q4_1.gguf", "llama-server's id, by file name");
    let mut again = vec!["chat", "--remote", url.as_str(), "--resume", id.as_str()];
    again.extend(gen);
    let out = desk(data.path(), &again, "And Python?\n/quit\n", &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let view = history(data.path(), &["show", &id]).await;
    let branch = view["branch"].as_array().unwrap();
    assert_eq!(branch.len(), 4, "{view}");
    assert_eq!(branch[0]["message"]["content"], "What is Rust?");
    assert_eq!(branch[2]["message"]["content"], "And Python?");
    assert_eq!(branch[1]["message"]["content"].as_str().unwrap(), first.trim_end_matches('\n'));
    server.start_kill().unwrap();
}

async fn reqwest_health(url: &str) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await else { return false };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    buf.starts_with(b"HTTP/1.1 200")
}

/// `desk serve` is an OpenAI-compatible server too: through it, with the
/// prompt sent as our ids, a greedy answer is the one `desk ask` gives locally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_desk_serve_the_answer_is_the_local_one_token_for_token() {
    let data = tempfile::tempdir().unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_desk"))
        .args(["serve", "--port", "0", "--api-key", "k-123"])
        .current_dir(root())
        .env("DESK_DATA_DIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut line).unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let question = "What does `zip(*m)` do in Python?";
    let gen = ["--temperature", "0", "--max-tokens", "24", "--no-save", "--json"];
    let mut through = vec!["ask", "--remote", url.as_str()];
    through.extend(gen);
    through.push(question);
    let remote = parse(&desk(data.path(), &through, "", &[("DESK_REMOTE_KEY", "k-123")]).await);
    let mut here = vec!["ask"];
    here.extend(gen);
    here.push(question);
    let local = parse(&desk(data.path(), &here, "", &[]).await);
    let _ = serve.kill();
    assert_eq!(remote["text"], local["text"]);
    assert_eq!(remote["usage"]["prompt_tokens"], local["usage"]["prompt_tokens"]);
    assert_eq!(remote["usage"]["completion_tokens"], local["usage"]["completion_tokens"]);
    assert!(!local["text"].as_str().unwrap().is_empty());
}
