//! Model picker → Remote server in the real window, against llama.cpp's
//! llama-server on 127.0.0.1 serving the demo model (skipped, saying so,
//! where bench/build-llama-cpp.sh has not built it): test the connection,
//! use the server's model, chat (streamed, stored, reopened), and the server
//! killed mid-reply leaves the partial reply marked interrupted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

use crate::common::*;

fn llama_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DESK_LLAMA_SERVER") {
        return Some(PathBuf::from(p));
    }
    let bench = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-bench");
    let mut found: Vec<PathBuf> = std::fs::read_dir(bench).ok()?.flatten().map(|e| e.path().join("bin/llama-server")).filter(|p| p.is_file()).collect();
    found.sort();
    found.pop()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(bin: &Path, model: &Path, port: u16) -> Result<Server> {
    let child = Command::new(bin)
        .arg("-m")
        .arg(model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-c", "2048", "-np", "1", "-t", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("llama-server starts")?;
    let server = Server(child);
    let t0 = Instant::now();
    while Command::new("curl").args(["-sf", "--max-time", "2", &format!("http://127.0.0.1:{port}/health")]).output()?.status.code() != Some(0) {
        ensure!(t0.elapsed() < Duration::from_secs(120), "llama-server did not become healthy");
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(server)
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_through_llama_server_in_a_real_window() -> Result<()> {
    let Some(bin) = llama_server() else {
        eprintln!("llama-server not built (bash bench/build-llama-cpp.sh): skipping the remote window test");
        return Ok(());
    };
    let dir = models_dir(&[])?;
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    // Served under a name the window's models folder has: prompts go out as our ids.
    let mut server = Some(start_server(&bin, &dir.path().join("models/a-demo.gguf"), port)?);
    let url = format!("http://127.0.0.1:{port}");
    let env = [("DESK_DATA_DIR", data.to_str().unwrap())];
    let saved_file = data.join("remote.json");
    let shown = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let keep = shown.clone();
    with_app("remote", dir.path(), 4544, &env, |c| async move {
        wait_css(&c, "#model-ready", 60).await?;
        ensure!(count(&c, "#model-remote").await? == 0, "a local model is not marked remote");
        click(&c, "#remote-server summary", false).await?;
        set_value(&c, "#remote-url", &url).await?;
        click(&c, "#remote-test", false).await?;
        let said = wait_text(&c, "#remote-status", 30, |t| !t.is_empty()).await?;
        ensure!(said.contains("Connected: the server lists 1 model."), "{said}");
        let model = prop_of(&c, "#remote-model", "value").await?;
        ensure!(model.as_str().is_some_and(|m| m.ends_with("a-demo.gguf")), "{model}");
        click(&c, "#remote-use", false).await?;
        let header = wait_text(&c, "#model-ready", 30, |t| t.contains(&format!("on {url}/v1"))).await?;
        ensure!(header.contains("a-demo.gguf") && header.contains("ctx 2048"), "{header}");
        wait_css(&c, "#model-remote", 5).await?;
        ensure!(count(&c, "#remote-note").await? == 0, "the demo vocabulary is here: exact ids, no note");

        set_max_tokens(&c, 96).await?;
        ask(&c, "What is Rust? Answer in one sentence.").await?;
        wait_idle(&c, HANG_SECS).await?;
        let reply = text_of(&c, ".msg.assistant .doc", true).await?.unwrap_or_default();
        ensure!(!reply.trim().is_empty(), "a reply came from the server");
        shot(&c, "remote.png").await?;

        // The server killed mid-reply: the partial reply stays, marked interrupted.
        click(&c, "#new-chat", false).await?;
        set_max_tokens(&c, 4096).await?;
        ask(&c, "Count from 1 to 500, one number per line.").await?;
        wait_css(&c, ".msg.assistant.streaming .doc p", 60).await?;
        drop(server.take());
        wait_idle(&c, HANG_SECS).await?;
        let error = wait_text(&c, ".msg.assistant .reply-error", 10, |t| !t.is_empty()).await?;
        ensure!(error.contains("interrupted"), "{error}");
        let kept = text_of(&c, ".msg.assistant .doc", true).await?.unwrap_or_default();
        ensure!(!kept.trim().is_empty(), "the partial reply is kept");
        shot(&c, "remote-interrupted.png").await?;
        // Saved for next time, the key apart (none here).
        let saved = std::fs::read_to_string(&saved_file)?;
        ensure!(saved.contains(&url), "{saved}");
        *keep.lock().unwrap() = reply;
        Ok(())
    })
    .await?;
    // Stored: a fresh app on the same data folder reopens both chats as they were.
    let reply = shown.lock().unwrap().clone();
    with_app("remote-reopened", dir.path(), 4554, &env, |c| async move {
        wait_css(&c, ".chat-item.saved", 20).await?;
        open_saved(&c, "What is Rust?").await?;
        let reopened = wait_text(&c, ".msg.assistant .doc", 10, |t| !t.trim().is_empty()).await?;
        ensure!(reopened.trim() == reply.trim(), "reopened {reopened:?} vs shown {reply:?}");
        open_saved(&c, "Count from 1").await?;
        let error = wait_text(&c, ".msg.assistant .reply-error", 10, |t| !t.is_empty()).await?;
        ensure!(error.contains("interrupted") && !error.contains("the app stopped"), "the server's cut is what is said: {error}");
        Ok(())
    })
    .await
}

async fn open_saved(c: &fantoccini::Client, title: &str) -> Result<()> {
    let clicked = c
        .execute(
            "const b = [...document.querySelectorAll('.chat-item.saved')].find(b => b.textContent.startsWith(arguments[0]));
             if (b) b.click(); return !!b;",
            vec![title.into()],
        )
        .await?;
    ensure!(clicked == serde_json::Value::Bool(true), "no saved chat titled {title:?}");
    Ok(())
}
