//! Daily use in the real window: managing chats from the sidebar, the damaged
//! history notice, attaching files (dropped, and through the OS dialog), a
//! question's code shown as code, and running a reply's Python block.

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use fantoccini::{Client, Locator};

use crate::common::*;

/// Enter and F2 as WebDriver key codes (the W3C spec's private-use points).
const ENTER: &str = "\u{E007}";
const F2: &str = "\u{E032}";
const DELETE: &str = "\u{E017}";

/// Drops `files` (name, text) on `css` as the OS would: a DataTransfer with
/// File objects in dragover and drop events.
async fn drop_files(c: &Client, css: &str, files: &[(&str, &[u8])]) -> Result<()> {
    let files: Vec<serde_json::Value> = files.iter().map(|(n, b)| serde_json::json!([n, b])).collect();
    let ok = c
        .execute(
            "const target = document.querySelector(arguments[0]); if (!target) return false;
             const dt = new DataTransfer();
             for (const [name, bytes] of arguments[1]) dt.items.add(new File([new Uint8Array(bytes)], name));
             target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
             target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
             return true",
            vec![css.into(), files.into()],
        )
        .await?;
    ensure!(ok == serde_json::Value::Bool(true), "nothing to drop on at `{css}`");
    Ok(())
}

/// WebDriver keys to the first match of `css`, found again if a re-render
/// replaced the node between finding it and typing.
async fn keys_to(c: &Client, css: &str, keys: &str) -> Result<()> {
    let mut last = None;
    for _ in 0..5 {
        match c.find(Locator::Css(css)).await?.send_keys(keys).await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    anyhow::bail!("cannot type into `{css}`: {last:?}")
}

/// Chooses `path` in the GTK file dialog titled `title`, as a user would
/// type it: Ctrl+L for the location field, the path, Enter.
fn choose_in_dialog(title: &str, path: &Path) -> Result<()> {
    let run = |args: &[&str]| -> Result<String> {
        let out = std::process::Command::new("timeout").arg("60").arg("xdotool").args(args).output().context("xdotool is missing: `bash .ci/setup` installs it")?;
        ensure!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let window = run(&["search", "--sync", "--onlyvisible", "--name", title])?;
    let window = window.lines().last().context("no dialog window")?.to_string();
    run(&["windowfocus", "--sync", &window])?;
    std::thread::sleep(Duration::from_millis(500));
    run(&["key", "--clearmodifiers", "ctrl+l"])?;
    std::thread::sleep(Duration::from_millis(300));
    run(&["type", "--delay", "20", path.to_str().context("path")?])?;
    std::thread::sleep(Duration::from_millis(300));
    run(&["key", "Return"])?;
    Ok(())
}

async fn choose(title: &'static str, path: &Path) -> Result<()> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || choose_in_dialog(title, &path)).await?
}

fn env_for<'a>(data: &'a Path, exports: &'a Path, reply: &'a Path) -> Result<[(&'static str, &'a str); 3]> {
    Ok([
        ("DESK_FAKE_REPLY", reply.to_str().context("path")?),
        ("DESK_DATA_DIR", data.to_str().context("path")?),
        ("DESK_EXPORT_DIR", exports.to_str().context("path")?),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn chats_are_renamed_deleted_exported_and_imported_from_the_sidebar() -> Result<()> {
    let dir = models_dir(&[])?;
    let (data, exports) = (dir.path().join("data"), dir.path().join("exports"));
    let reply = root().join("tests/fixtures/code-reply.md");
    let env = env_for(&data, &exports, &reply)?;
    let exports = &exports;
    with_app("chats", dir.path(), 4700, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;
        ask(&c, "First chat: lists in Python").await?;
        wait_idle(&c, HANG_SECS).await?;
        click(&c, "#new-chat", false).await?;
        ask(&c, "Second chat: maps in Python").await?;
        wait_idle(&c, HANG_SECS).await?;
        // Both chats are stored, so both rows get the actions menu.
        wait_text(&c, ".chats", 10, |t| t.contains("First chat") && t.contains("Second chat")).await?;
        ensure!(count(&c, ".chat-row .chat-menu").await? == 2, "both stored chats have a menu");

        // Rename from the keyboard: F2 on the chat, type, Enter.
        let second = ".chat-row.active .chat-item";
        keys_to(&c, second, F2).await.context("F2")?;
        wait_css(&c, ".rename-input", 5).await?;
        let mut focus = serde_json::Value::Null;
        for _ in 0..10 {
            focus = c.execute("const e = document.activeElement; return [e.className, e.selectionStart, e.selectionEnd, e.value.length]", vec![]).await?;
            if focus[2] != focus[1] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        ensure!(focus == serde_json::json!(["rename-input", 0, 27, 27]), "F2 gives the field the keyboard, its text selected: {focus}");
        let field = c.find(Locator::Css(".rename-input")).await?;
        // The field has the keyboard with its text selected: typing replaces it
        // (WebDriver's clear would blur it, and blur saves).
        field.send_keys("Maps, renamed").await.context("type the title")?;
        field.send_keys(ENTER).await.context("Enter")?;
        wait_text(&c, second, 10, |t| t == "Maps, renamed").await?;

        // Export one chat as Markdown and as HTML from its menu.
        click(&c, ".chat-row.active .chat-menu", false).await?;
        wait_css(&c, ".chat-actions .export-md", 5).await?;
        shot(&c, "chat-menu.png").await?;
        click(&c, ".chat-actions .export-md", false).await?;
        let said = wait_text(&c, "#chats-status", 10, |t| t.starts_with("Exported")).await?;
        let md = exports.join("codellama-desk-maps-renamed.md");
        ensure!(said.contains(md.to_str().unwrap_or_default()), "{said}");
        let text = std::fs::read_to_string(&md)?;
        ensure!(text.contains("Maps, renamed") && text.contains("Second chat: maps in Python") && text.contains("s[::-1]"), "{text}");
        ensure!(!text.contains("First chat"), "one chat only: {text}");
        click(&c, ".chat-row.active .chat-menu", false).await?;
        click(&c, ".chat-actions .export-html", false).await?;
        wait_text(&c, "#chats-status", 10, |t| t.contains(".html")).await?;
        let html = std::fs::read_to_string(exports.join("codellama-desk-maps-renamed.html"))?;
        ensure!(html.contains("<pre") && !html.contains("<script"), "highlighted, inert HTML");

        // Export all as JSON: both chats, the new title stored.
        set_value(&c, "#export-all-format", "json").await?;
        click(&c, "#export-all", false).await?;
        wait_text(&c, "#chats-status", 10, |t| t.contains("Exported 2 chat(s)")).await?;
        let json_path = exports.join("codellama-desk-history.json");
        let json = std::fs::read_to_string(&json_path)?;
        ensure!(json.contains("Maps, renamed") && json.contains("First chat: lists in Python"), "{json}");

        // Delete asks first: the Delete key opens the confirm, Cancel keeps the chat.
        let first = ".chat-row:not(.active) .chat-item";
        keys_to(&c, first, DELETE).await.context("Delete key")?;
        wait_css(&c, ".confirm-delete", 5).await?;
        click(&c, ".confirm-delete .cancel", false).await?;
        ensure!(count(&c, ".chat-row").await? == 2, "Cancel kept the chat");
        click(&c, ".chat-row:not(.active) .chat-menu", false).await?;
        click(&c, ".chat-actions .delete", false).await?;
        click(&c, ".confirm-delete .confirm", false).await?;
        wait_text(&c, "#chats-status", 10, |t| t.starts_with("Deleted")).await?;
        wait_text(&c, ".chats", 10, |t| !t.contains("First chat")).await?;
        ensure!(count(&c, ".chat-row").await? == 1, "one chat left");

        // Import the JSON export through the file picker's input: both chats come back as new ones.
        let picked = c.find(Locator::Css("#import-input")).await?;
        picked.send_keys(json_path.to_str().context("path")?).await.context("choose the export")?;
        wait_text(&c, "#chats-status", 10, |t| t.contains("Imported 2 chat(s)")).await?;
        wait_text(&c, ".chats", 10, |t| t.contains("First chat")).await?;
        ensure!(count(&c, ".chat-row").await? == 3, "one open and two imported");

        // A file that is not an export is refused with its reason; nothing is added.
        std::fs::write(exports.join("broken.json"), "{\"not\": \"an export\"")?;
        c.find(Locator::Css("#import-input")).await?.send_keys(exports.join("broken.json").to_str().context("path")?).await?;
        let refused = wait_text(&c, "#chats-status", 10, |t| t.contains("broken.json")).await?;
        ensure!(count(&c, "#chats-status.error").await? == 1, "{refused}");
        ensure!(count(&c, ".chat-row").await? == 3, "a failed import adds nothing");
        shot(&c, "chats.png").await
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_history_is_moved_aside_and_the_window_says_where() -> Result<()> {
    let dir = models_dir(&[])?;
    let (data, exports) = (dir.path().join("data"), dir.path().join("exports"));
    std::fs::create_dir_all(&data)?;
    std::fs::write(data.join("history.db"), b"this was a database once, before the disk failed")?;
    let reply = root().join("tests/fixtures/code-reply.md");
    let env = env_for(&data, &exports, &reply)?;
    let data = &data;
    with_app("notice", dir.path(), 4710, &env, |c| async move {
        let said = wait_text(&c, "#store-notice", 30, |t| !t.is_empty()).await?;
        let moved: Vec<_> = std::fs::read_dir(data)?.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("history.db.corrupt-")).collect();
        ensure!(moved.len() == 1, "{moved:?}");
        ensure!(said.contains(&moved[0]) && said.contains("not an SQLite database"), "{said}");
        let kept = std::fs::read(data.join(&moved[0]))?;
        ensure!(kept.starts_with(b"this was a database once"), "the old file is kept untouched");
        shot(&c, "store-notice.png").await?;
        // The fresh history works, and the notice goes when dismissed.
        wait_css(&c, "#model-ready", 30).await?;
        ask(&c, "Still saving?").await?;
        wait_idle(&c, HANG_SECS).await?;
        wait_css(&c, ".chat-row .chat-menu", 10).await?;
        click(&c, "#store-notice .dismiss", false).await?;
        ensure!(count(&c, "#store-notice").await? == 0, "dismissed");
        Ok(())
    })
    .await
}

/// 20 lines, so the question's view collapses it.
fn snippet() -> String {
    let mut s = String::from("def area(w, h):\n    \"\"\"Rectangle area.\"\"\"\n    return w * h\n");
    for i in 0..17 {
        s.push_str(&format!("print(area({i}, 2))\n"));
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn files_are_attached_by_drop_and_dialog_and_python_blocks_run() -> Result<()> {
    let dir = models_dir(&[])?;
    let (data, exports) = (dir.path().join("data"), dir.path().join("exports"));
    let reply = root().join("tests/fixtures/run-reply.md");
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# Notes\n\nThe area must be positive.\n")?;
    let env = env_for(&data, &exports, &reply)?;
    let (notes, data) = (&notes, &data);
    with_app("attach-run", dir.path(), 4720, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;
        let code = snippet();

        // Refusals say why, and attach nothing.
        drop_files(&c, ".composer", &[("blob.bin", b"\x7fELF\x00\x00\x01binary")]).await?;
        let refused = wait_text(&c, "#attach-error", 10, |t| !t.is_empty()).await?;
        ensure!(refused.contains("blob.bin") && refused.contains("binary"), "{refused}");
        let huge = vec![b'a'; (1 << 20) + 1];
        drop_files(&c, ".composer", &[("huge.txt", &huge)]).await?;
        wait_text(&c, "#attach-error", 10, |t| t.contains("huge.txt") && t.contains("1 MiB")).await?;
        ensure!(count(&c, ".attachment").await? == 0, "nothing attached");

        // A dropped file and a file chosen in the OS dialog.
        drop_files(&c, ".composer", &[("area.py", code.as_bytes())]).await?;
        let chip = wait_text(&c, ".attachment", 10, |t| t.contains("area.py")).await?;
        ensure!(chip.contains("Python") && chip.contains("20 lines"), "{chip}");
        ensure!(count(&c, "#attach-error").await? == 0, "a good file clears the last refusal");
        click(&c, "#attach", false).await?;
        choose("Attach a file to the question", notes).await?;
        wait_text(&c, ".attachments", 30, |t| t.contains("notes.md")).await?;
        ensure!(count(&c, ".attachment").await? == 2, "both files attached");
        // Counted in tokens like a paste.
        wait_text(&c, "#composer-tokens", 20, |t| t.contains("token")).await?;

        c.find(Locator::Css("#composer")).await?.send_keys("What does area.py print?").await?;
        click(&c, "#send", false).await?;
        wait_idle(&c, HANG_SECS).await?;
        ensure!(count(&c, ".attachment").await? == 0, "sent attachments leave the composer");

        // The question shows its code as code: labelled, highlighted, collapsed, sent whole.
        let label = text_of(&c, ".msg.user .code-block .code-label", false).await?.unwrap_or_default();
        ensure!(label == "area.py", "{label}");
        wait_css(&c, ".msg.user .code-block pre.code span[class]", 5).await?;
        ensure!(count(&c, ".msg.user .code-block.collapsed").await? == 1, "a 20-line file is collapsed");
        let shown = content_of(&c, ".msg.user .code-block pre.code").await?.unwrap_or_default();
        ensure!(shown.trim_end() == code.trim_end(), "the whole file is in the question:\n{shown}");
        click(&c, ".msg.user .expand-code", false).await?;
        ensure!(count(&c, ".msg.user .code-block.collapsed").await? == 0, "expanded");
        let question = text_of(&c, ".msg.user .bubble", false).await?.unwrap_or_default();
        ensure!(question.contains("The area must be positive.") && question.contains("What does area.py print?"), "{question}");
        shot(&c, "question.png").await?;

        // Run is off until Settings turns it on, and Settings says what the sandbox allows.
        ensure!(count(&c, ".msg.assistant .run").await? == 0, "no Run button while it is off");
        click(&c, "#settings-toggle", false).await?;
        let limits = wait_text(&c, "#run-code-limits", 10, |t| !t.is_empty()).await?;
        ensure!(limits.contains("no network"), "{limits}");
        click(&c, "#run-code-toggle", false).await?;
        wait_css(&c, ".msg.assistant .run", 10).await?;
        ensure!(count(&c, ".msg.assistant .run").await? == 2, "one Run per Python block");

        // The first block prints to stdout and stderr and exits 0.
        click(&c, ".msg.assistant .run", false).await?;
        wait_text(&c, ".msg.assistant .run-done", 60, |t| t.starts_with("exit 0")).await?;
        let out = text_of(&c, ".msg.assistant .run-output .stdout", false).await?.unwrap_or_default();
        ensure!(out.trim() == "hello", "{out}");
        let err = text_of(&c, ".msg.assistant .run-output .stderr", false).await?.unwrap_or_default();
        ensure!(err.trim() == "checked on stderr", "{err}");
        c.execute("document.querySelector('.msg.assistant .run-output').scrollIntoView({ block: 'center' })", vec![]).await?;
        shot(&c, "run.png").await?;

        // The endless loop streams its output until Stop.
        click(&c, ".msg.assistant .run", true).await?;
        wait_text_of(&c, ".msg.assistant .run-output", true, 60, |t| t.contains("tick 3")).await?;
        click(&c, ".msg.assistant .run-stop", false).await?;
        let end = wait_text_of(&c, ".msg.assistant .run-done", true, 30, |t| t.starts_with("stopped")).await?;
        ensure!(count(&c, ".msg.assistant .run-done").await? == 2, "{end}");

        // The setting is kept across restarts.
        let prefs = std::fs::read_to_string(data.join("run-code.json"))?;
        ensure!(prefs.contains("true"), "{prefs}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gguf_is_imported_through_the_os_dialog() -> Result<()> {
    let dir = models_dir(&[])?;
    let (data, exports) = (dir.path().join("data"), dir.path().join("exports"));
    let reply = root().join("tests/fixtures/code-reply.md");
    let tiny = dir.path().join("picked-tiny.gguf");
    gguf::write(&tiny, &crate::library::TINY_7B)?;
    let env = env_for(&data, &exports, &reply)?;
    let (tiny, data) = (&tiny, &data);
    with_app("pick-model", dir.path(), 4730, &env, |c| async move {
        wait_css(&c, "#model-ready", 30).await?;
        click(&c, "#import-gguf summary", false).await?;
        click(&c, "#import-choose", false).await?;
        choose("Import a GGUF model", tiny).await?;
        wait_text(&c, "#import-result", 30, |t| t.contains("Copied picked-tiny.gguf")).await?;
        ensure!(std::fs::read(data.join("models/picked-tiny.gguf"))? == std::fs::read(tiny)?, "a byte-exact copy in the library");
        wait_css(&c, ".model-card[data-file='picked-tiny.gguf']", 10).await?;
        shot(&c, "pick-model.png").await
    })
    .await
}

/// The README's picture: a file attached and answered by the real demo model.
#[tokio::test(flavor = "multi_thread")]
async fn an_attached_file_is_answered_by_the_demo_model() -> Result<()> {
    let dir = models_dir(&[])?;
    let data = dir.path().join("data");
    let env = [("DESK_DATA_DIR", data.to_str().context("path")?)];
    with_app("attach-real", dir.path(), 4740, &env, |c| async move {
        wait_css(&c, "#model-ready", 60).await?;
        set_max_tokens(&c, 96).await?;
        let code = "def reverse(s):\n    return s[::-1]\n\nprint(reverse(\"hello\"))\n";
        drop_files(&c, ".composer", &[("reverse.py", code.as_bytes())]).await?;
        wait_css(&c, ".attachment", 10).await?;
        c.find(Locator::Css("#composer")).await?.send_keys("What does this file print?").await?;
        click(&c, "#send", false).await?;
        wait_css(&c, ".msg.assistant.streaming", 30).await?;
        wait_idle(&c, HANG_SECS).await?;
        let answer = text_of(&c, ".msg.assistant .doc", true).await?.unwrap_or_default();
        ensure!(!answer.trim().is_empty(), "the model answered");
        ensure!(text_of(&c, ".msg.user .code-label", false).await?.as_deref() == Some("reverse.py"), "labelled");
        shot(&c, "attach.png").await
    })
    .await
}

/// A stored chat of 100 questions and 100 answers.
fn write_long_chat(data: &Path) -> Result<()> {
    use desk_protocol::Message;
    use desk_store::{NewConversation, Store};
    let (store, _) = Store::open(data)?;
    let chat = store.create_conversation(&NewConversation { title: "A long chat".into(), ..NewConversation::default() })?;
    let mut parent = None;
    for i in 0..100 {
        let q = store.add_message(chat, parent, &Message::user(format!("Question {i}: what is {i} squared?")))?;
        let a = Message::assistant(format!("Answer {i}:\n\n```python\nprint({i} ** 2)\n```\n"));
        parent = Some(store.add_message(chat, Some(q), &a)?);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn show_earlier_messages_adds_a_page_and_keeps_the_view() -> Result<()> {
    let dir = models_dir(&[])?;
    let (data, exports) = (dir.path().join("data"), dir.path().join("exports"));
    write_long_chat(&data)?;
    let reply = root().join("tests/fixtures/code-reply.md");
    let env = env_for(&data, &exports, &reply)?;
    with_app("earlier", dir.path(), 4750, &env, |c| async move {
        wait_css(&c, ".chat-item.saved", 30).await?;
        click(&c, ".chat-item.saved", false).await?;
        wait_css(&c, "#messages .earlier", 20).await?;
        let shown = count(&c, "#messages .msg").await?;
        ensure!(shown == 60, "the end of a long chat opens first: {shown}");
        let button = text_of(&c, "#messages .earlier", false).await?.unwrap_or_default();
        ensure!(button.contains("140 more"), "{button}");
        // Keep the shown messages' nodes: the page must come in above them, leaving them as they are.
        let before = c
            .execute(
                "window.__shown = [...document.querySelectorAll('#messages .msg')];
                 window.__first = window.__shown[0];
                 window.__first.scrollIntoView({ block: 'start' });
                 return { top: window.__first.getBoundingClientRect().top, text: window.__first.innerText };",
                vec![],
            )
            .await?;
        click(&c, "#messages .earlier", false).await?;
        for _ in 0..80 {
            if count(&c, "#messages .msg").await? == 120 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        ensure!(count(&c, "#messages .msg").await? == 120, "one more page of 60");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = c
            .execute(
                "const now = [...document.querySelectorAll('#messages .msg')].slice(60);
                 return { top: window.__first.isConnected ? window.__first.getBoundingClientRect().top : null,
                          kept: now.length === window.__shown.length && now.every((e, i) => e === window.__shown[i]),
                          earliest: document.querySelector('#messages .msg').innerText };",
                vec![],
            )
            .await?;
        let (top0, top1) = (before["top"].as_f64().unwrap_or(f64::NAN), after["top"].as_f64().unwrap_or(f64::NAN));
        ensure!((top0 - top1).abs() <= 2.0, "the message that was first stays where it was: {before} -> {after}");
        ensure!(after["kept"] == true, "the messages shown before are the same nodes, not rebuilt: {after}");
        let earliest = after["earliest"].as_str().unwrap_or_default();
        ensure!(earliest.contains("Question 40"), "the page before: {earliest}");
        // The earlier page is rendered like the rest: code highlighted.
        ensure!(count(&c, "#messages .msg.assistant .code-block pre.code span[class]").await? >= 60, "highlighted");
        shot(&c, "earlier.png").await
    })
    .await
}
