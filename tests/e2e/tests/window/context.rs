//! The model picker, the context-length setting and a huge paste, on the
//! scripted fake with Code Llama-shaped headers beside the demo model.

use anyhow::Result;

use crate::common::gguf::{self, CODE_LLAMA_70B_INSTRUCT_F32, CODE_LLAMA_7B_INSTRUCT};
use crate::common::*;

const SEVEN_B: &str = "codellama-7b-instruct.Q4_K_M.gguf";
const SEVENTY_B: &str = "codellama-70b-instruct.F32.gguf";

fn card(file: &str, inner: &str) -> String {
    format!(".model-card[data-file='{file}'] {inner}")
}

#[tokio::test(flavor = "multi_thread")]
async fn picker_and_context_setting() -> Result<()> {
    let dir = models_dir(&[])?;
    gguf::write(&dir.path().join("models").join(SEVEN_B), &CODE_LLAMA_7B_INSTRUCT)?;
    gguf::write(&dir.path().join("models").join(SEVENTY_B), &CODE_LLAMA_70B_INSTRUCT_F32)?;
    let reply = root().join("tests/fixtures/code-reply.md");
    let data = dir.path().join("data");
    let env = [("DESK_FAKE_REPLY", reply.to_str().unwrap()), ("DESK_DATA_DIR", data.to_str().unwrap())];
    with_app("context", dir.path(), 4494, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;

        // Each model says what it is, what it can do and whether it fits.
        let seven = wait_text(&c, &card(SEVEN_B, ""), 10, |t| t.contains("Code Llama")).await?;
        for part in ["Code Llama 7B Instruct", "Q4_K_M", "3.53 GiB", "6.7B params", "ctx 16384", "needs 13."] {
            assert!(seven.contains(part), "`{part}` missing from: {seven}");
        }
        assert_eq!(count(&c, &card(SEVEN_B, ".mode-badge.off")).await?, 0, "7B Instruct chats, completes and fills");
        let demo = text_of(&c, &card("a-demo.gguf", ""), false).await?.unwrap_or_default();
        assert!(demo.contains("Q4_1") && demo.contains("ctx 8192") && demo.contains("params"), "{demo}");
        let fill_off = attr_of(&c, &card("a-demo.gguf", ".mode-badge.off"), "title").await?.unwrap_or_default();
        assert!(fill_off.contains("not Code Llama"), "{fill_off}");
        let seventy = text_of(&c, &card(SEVENTY_B, ".model-fit.no-fit"), false).await?.unwrap_or_default();
        assert!(seventy.starts_with("does not fit"), "{seventy}");

        // Loading a model that does not fit asks first; Cancel leaves the loaded one alone.
        click(&c, &card(SEVENTY_B, ".load"), false).await?;
        let ask = wait_text(&c, &card(SEVENTY_B, ".confirm"), 5, |t| t.contains("Load anyway")).await?;
        assert!(ask.contains("needs"), "{ask}");
        assert_eq!(count(&c, "#model-loading").await?, 0, "nothing loads before the user agrees");
        click(&c, &card(SEVENTY_B, ".cancel"), false).await?;
        assert_eq!(count(&c, &card(SEVENTY_B, ".confirm")).await?, 0);

        click(&c, &card(SEVEN_B, ".load"), false).await?;
        wait_text(&c, "#model-ready", 30, |t| t.contains(SEVEN_B)).await?;

        // The context setting starts at the model's own and prices each value as it is typed.
        click(&c, "#settings-toggle", false).await?;
        assert_eq!(prop_of(&c, "details.settings", "open").await?, true);
        wait_css(&c, "#context-input", 5).await?;
        assert_eq!(prop_of(&c, "#context-input", "value").await?, "16384");
        wait_text(&c, "#context-cost", 10, |t| t.contains("KV cache 8.00 GiB")).await?;
        set_value(&c, "#context-input", "4096").await?;
        wait_text(&c, "#context-cost", 10, |t| t.contains("KV cache 2.00 GiB")).await?;
        assert_eq!(count(&c, "#context-warning").await?, 0);
        set_value(&c, "#context-input", "32768").await?;
        let cost = wait_text(&c, "#context-cost", 10, |t| t.contains("KV cache 16.00 GiB")).await?;
        assert!(cost.contains("total"), "{cost}");
        let warning = wait_text(&c, "#context-warning", 5, |t| !t.is_empty()).await?;
        assert_eq!(warning, "Code Llama was trained on 16k-token sequences; quality past that is not guaranteed");
        c.execute("document.querySelector('#context-input').scrollIntoView({ block: 'center' })", vec![]).await?;
        shot(&c, "context-setting.png").await?;
        set_value(&c, "#context-input", "200000").await?;
        wait_text(&c, "#context-error", 5, |t| t.contains("At most 100000")).await?;
        assert_eq!(prop_of(&c, "#context-apply", "disabled").await?, true);

        // Apply reloads the model with the new context.
        set_value(&c, "#context-input", "8192").await?;
        wait_text(&c, "#context-cost", 10, |t| t.contains("KV cache 4.00 GiB")).await?;
        click(&c, "#context-apply", false).await?;
        wait_text(&c, "#model-ready", 30, |t| t.contains(SEVEN_B)).await?;
        assert_eq!(prop_of(&c, "#context-input", "value").await?, "8192");

        // The overflow policy shows beside the context meter and is the settings' one.
        assert_eq!(prop_of(&c, "#overflow-policy", "value").await?, "drop");
        set_value(&c, "#overflow-policy", "rolling").await?;
        assert_eq!(prop_of(&c, "#settings-policy", "value").await?, "rolling");
        Ok(())
    })
    .await
}

/// ~200 KB of code, numbered so any cut would show.
fn huge_code() -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 200_000 {
        s.push_str(&format!("def function_{i}(x):\n    return x * {i} + {}\n\n", i % 7));
        i += 1;
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_paste_is_sent_whole_and_counted() -> Result<()> {
    let dir = models_dir(&[])?;
    let reply = root().join("tests/fixtures/code-reply.md");
    let data = dir.path().join("data");
    let env = [("DESK_FAKE_REPLY", reply.to_str().unwrap()), ("DESK_DATA_DIR", data.to_str().unwrap())];
    let data = &data;
    with_app("paste", dir.path(), 4504, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;
        // The longest the page's main thread goes without running a timer.
        c.execute(
            "window.__stall = 0; let last = performance.now();
             (function tick() { const now = performance.now(); window.__stall = Math.max(window.__stall, now - last); last = now; setTimeout(tick, 0); })();",
            vec![],
        )
        .await?;
        let code = huge_code();
        let lines = code.lines().count();
        set_value(&c, "#composer", &code).await?;
        // The composer counts what the paste will cost before it is sent (the fake: 4 bytes a token).
        let counted = wait_text(&c, "#composer-tokens", 10, |t| t.contains("more than the 4096-token context")).await?;
        let tokens: usize = counted.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
        assert_eq!(tokens, code.len() / 4 + 1, "{counted}");
        click(&c, "#send", false).await?;
        wait_idle(&c, 60).await?;
        wait_css(&c, ".msg.assistant .code-block", 10).await?;

        // Shown as code, whole: every character of the paste is in the question's code
        // blocks (whitespace aside: blocks split at blank lines), the long ones collapsed.
        let shown = c
            .execute("return [...document.querySelectorAll('.msg.user .bubble pre.code')].map(e => e.textContent).join('')", vec![])
            .await?;
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        assert!(squash(shown.as_str().unwrap_or_default()) == squash(&code), "the question on screen differs from the paste");
        assert!(count(&c, ".msg.user .code-block.collapsed").await? >= 1, "a long paste is collapsed");
        let toggle = text_of(&c, ".msg.user .expand-code", false).await?.unwrap_or_default();
        assert!(toggle.starts_with("Show all ") && toggle.ends_with(" lines"), "{toggle}");
        while count(&c, ".msg.user .code-block.collapsed .expand-code").await? > 0 {
            click(&c, ".msg.user .code-block.collapsed .expand-code", false).await?;
        }
        // Sent whole: the stored question is the paste, byte for byte.
        let (store, _) = desk_store::Store::open(data)?;
        let chats = store.list(0, 10)?;
        let stored = store.view(chats[0].id)?;
        assert!(stored.branch[0].message.content == code, "the stored question differs from the paste");
        shot(&c, "huge-paste.png").await?;

        // The meter reflects the paste: far over the fake's 4096-token context.
        let meter = text_of(&c, "#context-meter", false).await?.unwrap_or_default();
        let used: usize = meter.split('/').next().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
        assert!(used > tokens, "{meter}");
        assert_eq!(count(&c, "#context-meter.over").await?, 1);

        let stall = c.execute("return window.__stall", vec![]).await?.as_f64().unwrap_or(f64::MAX);
        println!("huge paste: {} bytes, {lines} lines; longest main-thread stall {stall:.0} ms", code.len());
        // Generous: this catches a frozen window, not a slow one.
        assert!(stall < 5000.0, "the window froze for {stall:.0} ms");
        Ok(())
    })
    .await
}
