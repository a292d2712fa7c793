//! The `desk` binary end to end, on the real demo model.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn desk(args: &[&str], stdin: Option<&str>) -> Output {
    desk_in(&root(), args, stdin, None)
}

fn desk_in(dir: &Path, args: &[&str], stdin: Option<&str>, data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.args(args).current_dir(dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    match data_dir {
        Some(d) => cmd.env("DESK_DATA_DIR", d),
        None => cmd.env("DESK_DATA_DIR", dir.join("target/test-data-unused")),
    };
    let mut child = cmd.spawn().expect("desk starts");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "desk failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn ask_streams_an_answer_and_reports_usage() {
    let out = json(&desk(&["ask", "--json", "--temperature", "0", "--max-tokens", "24", "Write a Python function that reverses a string"], None));
    assert!(out["text"].as_str().unwrap().len() > 10, "{out}");
    assert_eq!(out["usage"]["completion_tokens"], 24, "{out}");
    assert!(out["usage"]["ttft_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_snippet_on_stdin_is_part_of_the_question() {
    let q = ["ask", "--json", "--temperature", "0", "--max-tokens", "4", "What does this do?"];
    let bare = json(&desk(&q, None));
    let with = json(&desk(&q, Some("def f(s):\n    return s[::-1]\n")));
    let tokens = |v: &serde_json::Value| v["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(tokens(&with) > tokens(&bare) + 8, "{bare} vs {with}");
}

#[test]
fn a_bad_model_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.gguf");
    std::fs::write(&notes, "not a model").unwrap();
    let out = desk(&["ask", "--model", notes.to_str().unwrap(), "hi"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a GGUF model"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bench_generates_exactly_the_requested_tokens() {
    let out = json(&desk(&["bench", "--json", "--prompt-tokens", "40", "--gen-tokens", "8"], None));
    assert_eq!(out["prompt_tokens"], 40);
    assert_eq!(out["gen_tokens"], 8);
    for key in ["load_ms", "ttft_ms", "prompt_tok_per_s", "decode_tok_per_s", "peak_rss_mib"] {
        assert!(out[key].as_f64().unwrap() > 0.0, "{key}: {out}");
    }
}

#[test]
fn chat_takes_commands_and_multi_line_pastes() {
    let script = "/system Answer in one short sentence.\n\"\"\"\nfn main() {\n    println!(\"hi\");\n}\n\"\"\"\n/reset\n/quit\n";
    let out = desk(&["chat", "--temperature", "0", "--max-tokens", "8"], Some(script));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("system prompt set"), "{err}");
    assert!(err.contains("conversation cleared"), "{err}");
    assert_eq!(err.matches("reply tokens").count(), 1, "one reply for one message: {err}");
}

#[test]
fn models_lists_the_demo_model_and_honours_desk_data_dir() {
    let out = json(&desk(&["models", "--json"], None));
    let listed = out.as_array().unwrap();
    let demo = listed.iter().find(|m| m["path"].as_str().unwrap().ends_with("SmolLM2-135M-Instruct.Q4_1.gguf")).expect("demo listed");
    assert_eq!(demo["facts"]["architecture"], "llama");
    assert_eq!(demo["facts"]["format"], "chat_template");

    // Elsewhere, with no ./models, DESK_DATA_DIR/models is where models are found.
    let cwd = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("models")).unwrap();
    std::os::unix::fs::symlink(root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf"), data.path().join("models/demo.gguf")).unwrap();
    std::fs::write(data.path().join("models/broken.gguf"), "GGUF").unwrap();
    let out = json(&desk_in(cwd.path(), &["models", "--json"], None, Some(data.path())));
    let listed = out.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{out}");
    let broken = listed.iter().find(|m| m["path"].as_str().unwrap().ends_with("broken.gguf")).unwrap();
    assert_eq!(broken["ok"], false);
    assert!(broken["error"].as_str().unwrap().contains("truncated"), "{broken}");
    // And the default model comes from there too.
    let out = json(&desk_in(cwd.path(), &["ask", "--json", "--max-tokens", "2", "hi"], None, Some(data.path())));
    assert_eq!(out["model"], "demo.gguf");
}

/// `desk chat` with a paste typed in two parts: the pause between them starts
/// a prefill of the first part. Returns stdout and stderr.
fn chat_paste(parts: &[&str], pause: std::time::Duration) -> (String, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_desk"))
        .args(["chat", "--no-save", "--temperature", "0", "--max-tokens", "12"])
        .current_dir(root())
        .env("DESK_DATA_DIR", root().join("target/test-data-unused"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("desk starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The help line comes once the model is loaded and stdin is being read.
    let mut err = String::new();
    while !err.contains("/quit leaves") {
        assert!(stderr.read_line(&mut err).unwrap() > 0, "desk chat ended early: {err}");
    }
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(pause);
        }
        stdin.write_all(part.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    stdin.write_all(b"/quit\n").unwrap();
    drop(stdin);
    stderr.read_to_string(&mut err).unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success(), "{err}");
    (out, err)
}

#[test]
fn chat_prefills_a_paste_during_a_pause_and_answers_as_without() {
    let first = "\"\"\"\nfn area(w: f64, h: f64) -> f64 {\n    w * h\n}\n";
    let rest = "fn main() { println!(\"{}\", area(2.0, 3.5)); }\nWhat does this print?\n\"\"\"\n";
    let (paused, err) = chat_paste(&[first, rest], std::time::Duration::from_millis(1500));
    assert!(err.contains("prompt tokens computed while you pasted"), "{err}");
    let (at_once, err_at_once) = chat_paste(&[&format!("{first}{rest}")], std::time::Duration::ZERO);
    assert!(!at_once.trim().is_empty(), "{err_at_once}");
    assert_eq!(paused, at_once, "the prefilled prompt changed the greedy reply");
}
