//! Driving the real app in a real window: Xvfb + WebKitWebDriver + tauri-driver
//! over WebDriver. Shared by the window tests and the UI speed benchmark.
//! Needs `.ci/test` (or `.ci/setup`) to have built the app with the UI embedded.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

pub mod gguf;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let app = target.join("release/codellama-desk");
    assert!(app.exists(), "{} is missing: run `bash .ci/test`, which builds the app with its UI first", app.display());
    app
}

pub fn artifacts() -> PathBuf {
    let dir = root().join("target/e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tauri-driver in its own process group: killing only it would leave
/// WebKitWebDriver holding the output pipe, and the test run would hang.
pub struct Driver(Child);

impl Driver {
    pub fn start(cwd: &Path, port: u16, env: &[(&str, &str)]) -> Result<Self> {
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

pub async fn connect(port: u16) -> Result<Client> {
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

pub async fn wait_css(c: &Client, css: &str, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, css).await? > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let started = c.execute("return window.wasmBindings !== undefined", vec![]).await?;
    if started != Value::Bool(true) {
        bail!(
            "waiting for `{css}`: the UI never started (its wasm did not load). The app binary embeds ui/dist when it is \
             compiled: rebuild it after `trunk build` (`touch ui/dist/*` if cargo kept a binary with an older dist)"
        );
    }
    bail!("waiting for `{css}` timed out after {secs}s")
}

/// Queried in page JavaScript: element handles go stale while a reply re-renders.
pub async fn count(c: &Client, css: &str) -> Result<usize> {
    let n = c.execute("return document.querySelectorAll(arguments[0]).length", vec![css.into()]).await?;
    Ok(n.as_u64().unwrap_or(0) as usize)
}

/// Text of the first (`last = false`) or last match of `css`, if any.
pub async fn text_of(c: &Client, css: &str, last: bool) -> Result<Option<String>> {
    let v = c
        .execute(
            "const all = document.querySelectorAll(arguments[0]); const e = arguments[1] ? all[all.length - 1] : all[0]; return e ? e.innerText : null",
            vec![css.into(), last.into()],
        )
        .await?;
    Ok(v.as_str().map(str::to_string))
}

/// Click the first or last match of `css` from page JavaScript.
pub async fn click(c: &Client, css: &str, last: bool) -> Result<()> {
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

/// How long a reply may take before the test calls it a hang. Real-model
/// replies are bounded by `set_max_tokens`, so a loaded machine only makes
/// them slower; this ceiling never decides a pass on a healthy one.
pub const HANG_SECS: u64 = 600;

/// The reply budget in Settings, as a user sets it (the `change` event).
pub async fn set_max_tokens(c: &Client, n: usize) -> Result<()> {
    set_value(c, "#max-tokens", &n.to_string()).await
}

/// Wait until no reply is streaming: the UI drops `.streaming` on the
/// reply's end event, and the Send button comes back.
pub async fn wait_idle(c: &Client, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, ".msg.assistant.streaming").await? == 0 && count(c, "#send").await? == 1 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("a reply was still streaming after {secs}s")
}

pub async fn ask(c: &Client, text: &str) -> Result<()> {
    wait_css(c, "#composer", 10).await?;
    c.find(Locator::Css("#composer")).await?.send_keys(text).await?;
    click(c, "#send", false).await
}

pub async fn shot(c: &Client, name: &str) -> Result<()> {
    std::fs::write(artifacts().join(name), c.screenshot().await?)?;
    Ok(())
}

pub fn models_dir(extra: &[(&str, &str)]) -> Result<tempfile::TempDir> {
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


/// Set a form field as a paste would: the value, then `input` and `change` events.
pub async fn set_value(c: &Client, css: &str, value: &str) -> Result<()> {
    let ok = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false;
             e.focus(); e.value = arguments[1];
             e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true }));
             return true",
            vec![css.into(), value.into()],
        )
        .await?;
    if ok != Value::Bool(true) {
        bail!("no field at `{css}`");
    }
    Ok(())
}

/// `textContent` (exact whitespace, unlike `innerText`) of the first match.
pub async fn content_of(c: &Client, css: &str) -> Result<Option<String>> {
    let v = c.execute("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", vec![css.into()]).await?;
    Ok(v.as_str().map(str::to_string))
}

pub async fn attr_of(c: &Client, css: &str, name: &str) -> Result<Option<String>> {
    let v = c
        .execute("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null", vec![css.into(), name.into()])
        .await?;
    Ok(v.as_str().map(str::to_string))
}

/// A DOM property of the first match (`disabled`, `value`, `open`...).
pub async fn prop_of(c: &Client, css: &str, name: &str) -> Result<Value> {
    Ok(c.execute("const e = document.querySelector(arguments[0]); return e ? e[arguments[1]] : null", vec![css.into(), name.into()]).await?)
}

/// Wait until `css`'s text satisfies `ok`; the last text seen on timeout.
pub async fn wait_text(c: &Client, css: &str, secs: u64, ok: impl Fn(&str) -> bool) -> Result<String> {
    wait_text_of(c, css, false, secs, ok).await
}

/// `wait_text` on the first (`last = false`) or last match of `css`.
pub async fn wait_text_of(c: &Client, css: &str, last: bool, secs: u64, ok: impl Fn(&str) -> bool) -> Result<String> {
    let mut seen = None;
    for _ in 0..secs * 4 {
        seen = text_of(c, css, last).await?;
        if seen.as_deref().is_some_and(&ok) {
            return Ok(seen.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("`{css}` did not show the expected text in {secs}s; last: {seen:?}")
}

/// Run `body` against a fresh app; a failure leaves `NAME-failure.png` behind.
pub async fn with_app<F, Fut>(name: &str, cwd: &Path, port: u16, env: &[(&str, &str)], body: F) -> Result<()>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let _driver = Driver::start(cwd, port, env)?;
    let c = connect(port).await?;
    let result = body(c.clone()).await;
    if result.is_err() {
        let _ = shot(&c, &format!("{name}-failure.png")).await;
    }
    let _ = c.close().await;
    result
}
