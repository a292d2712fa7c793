//! `desk ask`/`desk chat` recording into the history and `desk history`, end
//! to end on the real demo model, each test in a data folder of its own.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn command(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.args(args).current_dir(root()).env("DESK_DATA_DIR", data);
    cmd
}

fn desk(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command(data, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("desk starts");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "desk failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn json(data: &Path, args: &[&str]) -> Value {
    let out = ok(desk(data, args, ""));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

const GEN: [&str; 3] = ["--temperature", "0", "--max-tokens"];

fn ask(data: &Path, extra: &[&str], question: &str) -> Value {
    let mut args = vec!["ask", "--json"];
    args.extend(GEN);
    args.push("12");
    args.extend(extra);
    args.push(question);
    json(data, &args)
}

fn list(data: &Path) -> Vec<Value> {
    json(data, &["history", "list", "--json"])["conversations"].as_array().unwrap().clone()
}

fn show(data: &Path, id: i64) -> Value {
    json(data, &["history", "show", &id.to_string(), "--json"])
}

fn branch_text(view: &Value, i: usize) -> &str {
    view["branch"][i]["message"]["content"].as_str().unwrap()
}

/// A conversation's JSON export with its ids replaced by positions, so a
/// re-imported copy compares equal.
fn without_ids(conversation: &Value) -> Value {
    let messages = conversation["messages"].as_array().unwrap();
    let pos = |id: &Value| messages.iter().position(|m| &m["id"] == id).map_or(Value::Null, Value::from);
    let mut meta = conversation["meta"].clone();
    meta["id"] = Value::Null;
    meta["active_leaf"] = pos(&meta["active_leaf"]);
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m["parent"] = pos(&m["parent"]);
            m["id"] = Value::Null;
            m
        })
        .collect();
    serde_json::json!({ "meta": meta, "messages": messages })
}

#[test]
fn an_asked_question_is_kept_searched_resumed_exported_and_removed() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let question = "What does the word zorblaxian <b>mean</b> in Python?";
    let asked = ask(d, &[], question);
    let id = asked["conversation"].as_i64().expect("ask reports the conversation it saved");

    let listed = list(d);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["message_count"], 2);
    assert_eq!(listed[0]["model"], "SmolLM2-135M-Instruct.Q4_1.gguf");

    let view = show(d, id);
    assert_eq!(branch_text(&view, 0), question);
    assert_eq!(branch_text(&view, 1), asked["text"].as_str().unwrap());
    assert_eq!(view["branch"][1]["message"]["status"], "complete");
    assert_eq!(view["branch"][1]["message"]["stats"]["end"], "max_tokens");
    let settings: Value = serde_json::from_str(view["meta"]["settings_json"].as_str().unwrap()).unwrap();
    assert_eq!(settings["max_tokens"], 12);

    let found = json(d, &["history", "search", "zorblaxian", "--json"]);
    let hits = found["hits"].as_array().unwrap();
    // The reply may repeat the word; the question must be among the hits.
    assert!(hits.iter().all(|h| h["conversation_id"] == id), "{found}");
    assert!(hits.iter().any(|h| h["message_id"] == view["branch"][0]["message"]["id"] && h["role"] == "user"), "{found}");
    let text = ok(desk(d, &["history", "search", "zorblaxian"], ""));
    assert!(String::from_utf8_lossy(&text.stdout).contains("**zorblaxian**"));

    // Resuming continues under the reply, in the same conversation.
    let mut args = vec!["chat", "--resume", &*id.to_string()].into_iter().map(String::from).collect::<Vec<_>>();
    args.extend(["--temperature", "0", "--max-tokens", "6"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(desk(d, &args, "And in Rust?\n/quit\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("resuming conversation {id}")) && err.contains("2 message(s)"), "{err}");
    let view = show(d, id);
    assert_eq!(view["message_count"], 4, "{view}");
    assert_eq!(branch_text(&view, 2), "And in Rust?");
    assert_eq!(view["branch"][2]["message"]["parent"], view["branch"][1]["message"]["id"]);
    assert_eq!(list(d).len(), 1);

    let md = String::from_utf8(ok(desk(d, &["history", "export", &id.to_string(), "--format", "md"], "")).stdout).unwrap();
    assert!(md.contains("## You") && md.contains("zorblaxian") && md.contains("And in Rust?"), "{md}");

    let page = d.join("out.html");
    ok(desk(d, &["history", "export", &id.to_string(), "--format", "html", "--out", page.to_str().unwrap()], ""));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<section class=\"message").count(), 4, "{html}");
    assert!(html.contains("&lt;b&gt;mean&lt;/b&gt;") && !html.contains("<b>mean"), "{html}");

    // JSON export re-imports to an equal conversation.
    let file = d.join("export.json");
    ok(desk(d, &["history", "export", &id.to_string(), "--format", "json", "--out", file.to_str().unwrap()], ""));
    let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let imported = json(d, &["history", "import", file.to_str().unwrap(), "--json"]);
    let new_id = imported["imported"][0].as_i64().unwrap();
    assert_ne!(new_id, id);
    let again = json(d, &["history", "export", &new_id.to_string(), "--format", "json"]);
    assert_eq!(without_ids(&again["conversations"][0]), without_ids(&exported["conversations"][0]));

    ok(desk(d, &["history", "rm", &id.to_string()], ""));
    let left: Vec<i64> = list(d).iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(left, [new_id]);
    for args in [vec!["history", "show", &*id.to_string()], vec!["history", "rm", "999"], vec!["chat", "--resume", "999"]] {
        let out = desk(d, &args, "");
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("does not exist") && !err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn chat_records_each_conversation_and_no_save_records_none() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    ask(d, &["--no-save"], "Say hello");
    let script = "Say hi\nSay bye\n/reset\nSay yes\n/quit\n";
    ok(desk(d, &["chat", "--no-save", "--temperature", "0", "--max-tokens", "4"], script));
    assert!(list(d).is_empty(), "--no-save recorded something");

    ok(desk(d, &["chat", "--temperature", "0", "--max-tokens", "4"], script));
    let listed = list(d);
    let counts: Vec<u64> = listed.iter().map(|c| c["message_count"].as_u64().unwrap()).collect();
    // Most recent first: /reset started the second conversation.
    assert_eq!(counts, [2, 4], "{listed:?}");
    let first = show(d, listed[1]["id"].as_i64().unwrap());
    assert_eq!(branch_text(&first, 0), "Say hi");
    assert_eq!(branch_text(&first, 2), "Say bye");
    assert_eq!(first["branch"][3]["message"]["parent"], first["branch"][2]["message"]["id"]);
}

#[test]
fn a_killed_ask_leaves_its_reply_marked_interrupted() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let question = "Write a very long and detailed tutorial about Python lists, with many examples.";
    let mut child = command(d, &["ask", "--temperature", "0", "--max-tokens", "400", question])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("desk starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    let started = Instant::now();
    assert_eq!(stdout.read(&mut first).unwrap(), 1, "no answer came");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));

    let out = ok(desk(d, &["history", "list", "--json"], ""));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 reply(ies) cut off"), "{err}");
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = listed["conversations"][0]["id"].as_i64().unwrap();
    let view = show(d, id);
    assert_eq!(branch_text(&view, 0), question);
    let reply = &view["branch"][1]["message"];
    assert_eq!(reply["status"], "interrupted", "{view}");
    assert!(!reply["content"].as_str().unwrap().is_empty(), "{view}");
    let text = String::from_utf8(ok(desk(d, &["history", "show", &id.to_string()], "")).stdout).unwrap();
    assert!(text.contains("Assistant · interrupted"), "{text}");
}
