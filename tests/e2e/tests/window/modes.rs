//! The Complete and Fill panes: on the scripted fake (exact text, Stop,
//! errors) and on the real demo model (completion works, Fill is refused).

use anyhow::Result;
use fantoccini::{Client, Locator};

use crate::common::*;

/// Code the fake streams back, as a completion and as the filled middle.
const REPLY: &str = "if n < 2:
        return n
    a, b = 0, 1
    for _ in range(n - 1):
        a, b = b, a + b
    return b  # the n-th Fibonacci number, computed iteratively in linear time
";

async fn idle(c: &Client, run: &str, secs: u64) -> Result<()> {
    for _ in 0..secs * 4 {
        if count(c, run).await? == 1 {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    anyhow::bail!("`{run}` did not come back within {secs}s")
}

#[tokio::test(flavor = "multi_thread")]
async fn complete_and_fill_panes_on_the_fake() -> Result<()> {
    let dir = models_dir(&[])?;
    let reply = dir.path().join("reply.py");
    std::fs::write(&reply, REPLY)?;
    let data = dir.path().join("data");
    let env = [("DESK_FAKE_REPLY", reply.to_str().unwrap()), ("DESK_FAKE_DELAY_MS", "15"), ("DESK_DATA_DIR", data.to_str().unwrap())];
    with_app("panes", dir.path(), 4484, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;

        // Complete: Ctrl+Enter streams a continuation after the text; Stop keeps what came.
        click(&c, "#mode-complete", false).await?;
        set_value(&c, "#complete-input", "def fib(n):\n    ").await?;
        c.find(Locator::Css("#complete-input")).await?.send_keys("\u{E009}\u{E007}").await?;
        wait_css(&c, "#complete-stop", 10).await?;
        wait_text(&c, "#complete-output mark.generated", 10, |t| !t.is_empty()).await?;
        click(&c, "#complete-stop", false).await?;
        idle(&c, "#complete-run", 10).await?;
        let generated = content_of(&c, "#complete-output mark.generated").await?.unwrap_or_default();
        assert!(!generated.is_empty() && generated.len() < REPLY.len() && REPLY.starts_with(&generated), "{generated:?}");
        assert_eq!(content_of(&c, "#complete-output .given").await?.as_deref(), Some("def fib(n):\n    "));
        let stats = text_of(&c, "#complete-stats", false).await?.unwrap_or_default();
        assert!(stats.contains("stopped"), "{stats}");
        assert_eq!(prop_of(&c, "#complete-copy", "disabled").await?, false);
        shot(&c, "complete.png").await?;

        // Fill: the middle at <FILL>, shown in place and marked.
        click(&c, "#mode-fill", false).await?;
        let (prefix, suffix) = ("def fib(n):\n    ", "\n\nprint(fib(10))\n");
        set_value(&c, "#fill-input", &format!("{prefix}<FILL>{suffix}")).await?;
        click(&c, "#fill-run", false).await?;
        wait_css(&c, "#fill-output", 10).await?;
        idle(&c, "#fill-run", 30).await?;
        assert_eq!(content_of(&c, "#fill-output mark.filled").await?.as_deref(), Some(REPLY));
        let full = format!("{prefix}{REPLY}{suffix}");
        assert_eq!(content_of(&c, "#fill-output").await?.as_deref(), Some(full.as_str()));
        shot(&c, "fill.png").await?;

        // "Use" puts the result back in the editor; with no marker and no caret, the hole is asked for.
        click(&c, "#fill-use", false).await?;
        assert_eq!(prop_of(&c, "#fill-input", "value").await?, full.as_str());
        click(&c, "#fill-run", false).await?;
        let error = wait_text(&c, "#fill-error", 5, |t| !t.is_empty()).await?;
        assert!(error.contains("Mark the hole"), "{error}");
        set_value(&c, "#fill-input", "a = <FILL>\nb = <FILL>\n").await?;
        click(&c, "#fill-run", false).await?;
        wait_text(&c, "#fill-error", 5, |t| t.contains("exactly one")).await?;

        // Switching back to Chat keeps each pane's text.
        click(&c, "#mode-chat", false).await?;
        click(&c, "#mode-complete", false).await?;
        assert_eq!(prop_of(&c, "#complete-input", "value").await?, "def fib(n):\n    ");
        Ok(())
    })
    .await
}

/// On the demo model (SmolLM2, not Code Llama): Fill is off with its reason,
/// and completing a function header produces code.
pub async fn demo_model_modes(c: &Client) -> Result<()> {
    assert_eq!(prop_of(c, "#mode-fill", "disabled").await?, true, "Fill must be off on the demo model");
    let why = attr_of(c, "#mode-fill", "title").await?.unwrap_or_default();
    assert!(why.contains("not Code Llama"), "{why}");
    assert_eq!(prop_of(c, "#mode-complete", "disabled").await?, false);
    click(c, "#mode-complete", false).await?;
    set_value(c, "#complete-input", "def add(a, b):").await?;
    click(c, "#complete-run", false).await?;
    wait_css(c, "#complete-output", 30).await?;
    idle(c, "#complete-run", 120).await?;
    let generated = content_of(c, "#complete-output mark.generated").await?.unwrap_or_default();
    let error = text_of(c, "#complete-error", false).await?;
    assert!(error.is_none(), "{error:?}");
    assert!(!generated.trim().is_empty(), "the demo model continued with nothing");
    shot(c, "complete-demo.png").await?;
    click(c, "#mode-chat", false).await
}
