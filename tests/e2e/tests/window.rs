//! The real app in a real window: Xvfb + WebKitWebDriver + tauri-driver,
//! driven over WebDriver, on the demo model (and a scripted fake for hostile output).
//! Needs `.ci/test` (or `.ci/setup`) to have built the app with the UI embedded.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let app = target.join("release/codellama-desk");
    assert!(app.exists(), "{} is missing: run `bash .ci/test`, which builds the app with its UI first", app.display());
    app
}

fn artifacts() -> PathBuf {
    let dir = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tauri-driver in its own process group: killing only it would leave
/// WebKitWebDriver holding the output pipe, and the test run would hang.
struct Driver(Child);

impl Driver {
    fn start(cwd: &Path, port: u16, env: &[(&str, &str)]) -> Result<Self> {
        let mut cmd = Command::new("tauri-driver");
        cmd.args(["--port", &port.to_string(), "--native-port", &(port + 1).to_string()])
            .current_dir(cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("tauri-driver not found: `bash .ci/setup` installs it")?;
        std::thread::sleep(Duration::from_millis(800));
        Ok(Driver(child))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        unsafe {
            libc::killpg(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

async fn connect(port: u16) -> Result<Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app_binary() }));
    let mut last = None;
    for _ in 0..20 {
        match ClientBuilder::rustls()?.capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("could not start a WebDriver session: {last:?}")
}

async fn wait_css(c: &Client, css: &str, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, css).await? > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("waiting for `{css}` timed out after {secs}s")
}

/// Queried in page JavaScript: element handles go stale while a reply re-renders.
async fn count(c: &Client, css: &str) -> Result<usize> {
    let n = c.execute("return document.querySelectorAll(arguments[0]).length", vec![css.into()]).await?;
    Ok(n.as_u64().unwrap_or(0) as usize)
}

/// Text of the first (`last = false`) or last match of `css`, if any.
async fn text_of(c: &Client, css: &str, last: bool) -> Result<Option<String>> {
    let v = c
        .execute(
            "const all = document.querySelectorAll(arguments[0]); const e = arguments[1] ? all[all.length - 1] : all[0]; return e ? e.innerText : null",
            vec![css.into(), last.into()],
        )
        .await?;
    Ok(v.as_str().map(str::to_string))
}

/// Click the first or last match of `css` from page JavaScript.
async fn click(c: &Client, css: &str, last: bool) -> Result<()> {
    let ok = c
        .execute(
            "const all = document.querySelectorAll(arguments[0]); const e = arguments[1] ? all[all.length - 1] : all[0]; if (!e) return false; e.click(); return true",
            vec![css.into(), last.into()],
        )
        .await?;
    if ok != serde_json::Value::Bool(true) {
        bail!("nothing to click at `{css}`");
    }
    Ok(())
}

/// Wait until no reply is streaming.
async fn wait_idle(c: &Client, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, ".msg.assistant.streaming").await? == 0 && count(c, "#send").await? == 1 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("a reply was still streaming after {secs}s")
}

async fn ask(c: &Client, text: &str) -> Result<()> {
    wait_css(c, "#composer", 10).await?;
    c.find(Locator::Css("#composer")).await?.send_keys(text).await?;
    click(c, "#send", false).await
}

async fn shot(c: &Client, name: &str) -> Result<()> {
    std::fs::write(artifacts().join(name), c.screenshot().await?)?;
    Ok(())
}

fn models_dir(extra: &[(&str, &str)]) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("models"))?;
    let demo = root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    std::os::unix::fs::symlink(&demo, dir.path().join("models/a-demo.gguf"))?;
    std::os::unix::fs::symlink(&demo, dir.path().join("models/b-demo-copy.gguf"))?;
    for (name, text) in extra {
        std::fs::write(dir.path().join("models").join(name), text)?;
    }
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_with_the_demo_model_in_a_real_window() -> Result<()> {
    let dir = models_dir(&[("broken.gguf", "this is not a model")])?;
    let data = dir.path().join("data");
    let _driver = Driver::start(dir.path(), 4444, &[("DESK_DATA_DIR", data.to_str().unwrap())])?;
    let c = connect(4444).await?;
    let result = chat_flow(&c).await;
    if result.is_err() {
        let _ = shot(&c, "failure.png").await;
    }
    let _ = c.close().await;
    result
}

async fn chat_flow(c: &Client) -> Result<()> {
    // The window is interactive at once; the model loads behind it.
    wait_css(c, "#composer", 10).await?;
    wait_css(c, "#model-ready", 60).await?;
    // The broken file is listed with its reason, and the app keeps working.
    wait_css(c, ".model-problem", 10).await?;
    let problem = text_of(c, ".model-problem", false).await?.unwrap_or_default();
    assert!(problem.contains("broken.gguf") && problem.contains("not a GGUF"), "{problem}");

    // A streamed reply with a highlighted code block.
    ask(c, "Write a Python function that reverses a string. Use a code block.").await?;
    wait_css(c, ".msg.assistant.streaming", 30).await?;
    wait_idle(c, 120).await?;
    wait_css(c, ".msg.assistant .code-block pre.code span[class]", 5).await?;
    shot(c, "chat.png").await?;

    // Stop mid-stream keeps the partial reply.
    ask(c, "Explain in detail how hash maps work, with several examples.").await?;
    wait_css(c, ".msg.assistant.streaming .doc p", 60).await?;
    click(c, "#stop", false).await?;
    wait_idle(c, 30).await?;
    let last = text_of(c, ".msg.assistant .stats", true).await?.context("no stats")?;
    assert!(last.contains("stopped"), "{last}");

    // Regenerate adds a second branch of the answer.
    click(c, ".msg.assistant .regenerate", true).await?;
    wait_css(c, ".msg.assistant .branches .pos", 10).await?;
    wait_idle(c, 120).await?;
    let pos = text_of(c, ".msg.assistant .branches .pos", true).await?.unwrap_or_default();
    assert_eq!(pos, "2/2");

    // Edit the first question: a new branch; flip back to the original.
    click(c, ".msg.user .edit-btn", false).await?;
    wait_css(c, ".msg.user textarea.edit", 5).await?;
    let area = c.find(Locator::Css(".msg.user textarea.edit")).await?;
    area.clear().await?;
    area.send_keys("Write a Rust function that reverses a string.").await?;
    click(c, ".msg.user .save", false).await?;
    wait_css(c, ".msg.user .branches .pos", 10).await?;
    wait_idle(c, 120).await?;
    let user_pos = text_of(c, ".msg.user .branches .pos", false).await?.unwrap_or_default();
    assert_eq!(user_pos, "2/2");
    click(c, ".msg.user .branches .prev", false).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = text_of(c, ".msg.user .bubble", false).await?.unwrap_or_default();
    assert!(first.contains("Python"), "{first}");
    assert_eq!(count(c, ".msg.user").await?, 2, "the original branch with both questions is back");

    // Switch model: the other file loads and the header says so.
    let picker = c.find(Locator::Css("#model-picker")).await?;
    picker.select_by_value(&picker_value(c, "b-demo-copy.gguf").await?).await?;
    for _ in 0..240 {
        if text_of(c, "#model-ready", false).await?.is_some_and(|t| t.contains("b-demo-copy.gguf")) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("switching the model did not finish")
}

async fn picker_value(c: &Client, file: &str) -> Result<String> {
    for option in c.find_all(Locator::Css("#model-picker option")).await? {
        if let Some(v) = option.attr("value").await? {
            if v.ends_with(file) {
                return Ok(v);
            }
        }
    }
    bail!("{file} is not in the model picker")
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_model_output_stays_inert() -> Result<()> {
    let dir = models_dir(&[])?;
    let hostile = root().join("tests/fixtures/hostile-reply.md");
    let data = dir.path().join("data");
    let env = [("DESK_FAKE_REPLY", hostile.to_str().unwrap()), ("DESK_DATA_DIR", data.to_str().unwrap())];
    let _driver = Driver::start(dir.path(), 4454, &env)?;
    let c = connect(4454).await?;
    let result = async {
        wait_css(&c, "#model-ready", 30).await?;
        ask(&c, "Say something dangerous").await?;
        wait_idle(&c, 60).await?;
        wait_css(&c, ".msg.assistant .doc p", 5).await?;
        shot(&c, "hostile.png").await?;
        let verdict = c
            .execute(
                "const m = document.querySelector('#messages');
                 const hrefs = [...m.querySelectorAll('[href],[src]')].map(e => e.getAttribute('href') || e.getAttribute('src'));
                 return {
                   pwned: window.__pwned === undefined ? null : window.__pwned,
                   scripts: m.querySelectorAll('script,iframe,img,object,embed').length,
                   handlers: [...m.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
                   bad: hrefs.filter(h => !/^(https?:|mailto:)/i.test(h)),
                   text: m.innerText,
                 };",
                vec![],
            )
            .await?;
        assert_eq!(verdict["pwned"], serde_json::Value::Null, "{verdict}");
        assert_eq!(verdict["scripts"], 0, "{verdict}");
        assert_eq!(verdict["handlers"], 0, "{verdict}");
        assert_eq!(verdict["bad"], serde_json::json!([]), "{verdict}");
        let text = verdict["text"].as_str().unwrap_or_default();
        assert!(text.contains("<script>"), "raw HTML is shown as text: {text}");
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let _ = c.close().await;
    result
}

#[tokio::test(flavor = "multi_thread")]
async fn conversations_survive_a_restart() -> Result<()> {
    let dir = models_dir(&[])?;
    let reply = root().join("tests/fixtures/code-reply.md");
    let data = dir.path().join("data");
    let env = [("DESK_FAKE_REPLY", reply.to_str().unwrap()), ("DESK_DATA_DIR", data.to_str().unwrap())];
    {
        let _driver = Driver::start(dir.path(), 4464, &env)?;
        let c = connect(4464).await?;
        let result = async {
            wait_css(&c, "#model-ready", 30).await?;
            ask(&c, "Reverse a string in Python, please").await?;
            wait_idle(&c, 60).await?;
            wait_css(&c, ".msg.assistant .code-block", 5).await
        }
        .await;
        let _ = c.close().await;
        result?;
    }
    // A fresh app on the same data folder lists the conversation and reopens it.
    let _driver = Driver::start(dir.path(), 4474, &env)?;
    let c = connect(4474).await?;
    let result = async {
        wait_css(&c, ".chat-item.saved", 20).await?;
        let title = text_of(&c, ".chat-item.saved", false).await?.unwrap_or_default();
        assert!(title.contains("Reverse a string"), "{title}");
        click(&c, ".chat-item.saved", false).await?;
        wait_css(&c, ".msg.assistant .code-block pre.code span[class]", 10).await?;
        let question = text_of(&c, ".msg.user .bubble", false).await?.unwrap_or_default();
        assert_eq!(question, "Reverse a string in Python, please");
        // Full-text search over stored messages, with the match marked.
        c.find(Locator::Css("#search")).await?.send_keys("slicing").await?;
        wait_css(&c, ".search-hit mark", 10).await?;
        let hit = text_of(&c, ".search-hit", false).await?.unwrap_or_default();
        assert!(hit.contains("slicing"), "{hit}");
        shot(&c, "reopened.png").await
    }
    .await;
    let _ = c.close().await;
    result
}
