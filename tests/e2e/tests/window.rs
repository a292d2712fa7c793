//! The real app in a real window: Xvfb + WebKitWebDriver + tauri-driver,
//! driven over WebDriver, on the demo model (and a scripted fake for hostile
//! output, the Complete and Fill panes, the context setting, huge pastes and
//! the model library against a fake hub).
//! Needs `.ci/test` (or `.ci/setup`) to have built the app with the UI embedded.

mod common;
#[path = "window/context.rs"]
mod context;
#[path = "window/daily.rs"]
mod daily;
#[path = "window/library.rs"]
mod library;
#[path = "window/local_api.rs"]
mod local_api;
#[path = "window/modes.rs"]
mod modes;
#[path = "window/remote.rs"]
mod remote;

use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::{Client, Locator};

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn chat_with_the_demo_model_in_a_real_window() -> Result<()> {
    let dir = models_dir(&[("broken.gguf", "this is not a model")])?;
    let data = dir.path().join("data");
    let env = [("DESK_DATA_DIR", data.to_str().unwrap()), ("DESK_API_PORT", "0")];
    let _driver = Driver::start(dir.path(), 4444, &env)?;
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
    // Every reply below ends by its token budget, however slow the machine.
    set_max_tokens(c, 96).await?;
    let problem = text_of(c, ".model-problem", false).await?.unwrap_or_default();
    assert!(problem.contains("broken.gguf") && problem.contains("not a GGUF"), "{problem}");

    // A paste is prefilled while the question after it is still being typed:
    // the real engine computes it and the composer says how much is ready.
    set_value(c, "#composer", "```python\ndef area(w, h):\n    return w * h\n```\nWhat does").await?;
    let ready = wait_text(c, "#composer-prefill", 60, |t| t.ends_with("tokens ready") && !t.contains(" of ")).await?;
    let n: usize = ready.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(n > 20, "{ready}");
    set_value(c, "#composer", "").await?;
    assert_eq!(count(c, "#composer-prefill").await?, 0, "an empty draft shows no prefill");

    // A streamed reply with a highlighted code block.
    ask(c, "Write a Python function that reverses a string. Use a code block.").await?;
    wait_css(c, ".msg.assistant.streaming", 30).await?;
    wait_idle(c, HANG_SECS).await?;
    wait_css(c, ".msg.assistant .code-block pre.code span[class]", 5).await?;
    shot(c, "chat.png").await?;

    // Stop mid-stream keeps the partial reply: a budget it cannot finish in time.
    set_max_tokens(c, 4096).await?;
    ask(c, "Explain in detail how hash maps work, with several examples.").await?;
    wait_css(c, ".msg.assistant.streaming .doc p", 60).await?;
    click(c, "#stop", false).await?;
    wait_idle(c, HANG_SECS).await?;
    let last = text_of(c, ".msg.assistant .stats", true).await?.context("no stats")?;
    assert!(last.contains("stopped"), "{last}");
    set_max_tokens(c, 96).await?;

    // Regenerate adds a second branch of the answer.
    click(c, ".msg.assistant .regenerate", true).await?;
    wait_css(c, ".msg.assistant .branches .pos", 10).await?;
    wait_idle(c, HANG_SECS).await?;
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
    wait_idle(c, HANG_SECS).await?;
    let user_pos = text_of(c, ".msg.user .branches .pos", false).await?.unwrap_or_default();
    assert_eq!(user_pos, "2/2");
    click(c, ".msg.user .branches .prev", false).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = text_of(c, ".msg.user .bubble", false).await?.unwrap_or_default();
    assert!(first.contains("Python"), "{first}");
    assert_eq!(count(c, ".msg.user").await?, 2, "the original branch with both questions is back");

    // Completion on the real model; Fill is off for a model that is not Code Llama.
    modes::demo_model_modes(c).await?;

    // The Local API serves the window's model, through a model switch.
    let api = local_api::switch_on(c).await?;
    let first = text_of(c, "#model-ready", false).await?.unwrap_or_default();
    let first = first.split_whitespace().find(|w| w.ends_with(".gguf")).unwrap_or_default().to_string();
    local_api::check_answers(&api, &first).await?;

    // Switch model: the other file loads and the header says so.
    click(c, ".model-card[data-file='b-demo-copy.gguf'] .load", false).await?;
    wait_text(c, "#model-ready", 60, |t| t.contains("b-demo-copy.gguf")).await?;
    anyhow::ensure!(local_api::served_model(&api)? == "b-demo-copy.gguf", "after the switch the API serves the new model");
    local_api::switch_off(c, &api).await?;
    Ok(())
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
        assert_eq!(question.trim_end(), "Reverse a string in Python, please");
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
