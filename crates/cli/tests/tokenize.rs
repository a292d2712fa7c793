//! `desk tokenize` on llama.cpp's vocab-only GGUFs (no weights): its ids are
//! llama.cpp's reference ids, and a bad file is one clear line.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn vocab(name: &str) -> PathBuf {
    let dir = std::env::var_os("DESK_VOCAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-data/llama-vocab"));
    let path = dir.join(format!("ggml-vocab-{name}.gguf"));
    assert!(path.exists(), "{} is missing: run `bash crates/tokenizer/fetch-vocabs.sh`", path.display());
    path
}

fn tokenize(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_desk"))
        .arg("tokenize")
        .args(args)
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

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "desk failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn ids_on_one_line_equal_llama_cpps_for_a_vocab_only_file() {
    let spm = vocab("llama-spm");
    // From ggml-vocab-llama-spm.gguf.out: " Hello world" and "Hello world".
    assert_eq!(stdout(&tokenize(&["--model", spm.to_str().unwrap()], "Hello world")), "15043 3186\n");
    assert_eq!(stdout(&tokenize(&["--model", spm.to_str().unwrap(), "-"], " Hello world")), "29871 15043 3186\n");
    let gpt2 = vocab("gpt-2");
    assert_eq!(stdout(&tokenize(&["--model", gpt2.to_str().unwrap()], "Hello world")), "15496 995\n");
}

#[test]
fn json_gives_ids_pieces_and_count_and_a_file_argument_works() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paste.py");
    std::fs::write(&file, "def f(x):\n\treturn x</s>").unwrap();
    let spm = vocab("llama-spm");
    let out = tokenize(&["--json", "--model", spm.to_str().unwrap(), file.to_str().unwrap()], "");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<u64> = v["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    assert_eq!(v["count"].as_u64().unwrap() as usize, ids.len());
    assert_eq!(v["pieces"][0], "▁def");
    assert!(v["pieces"].as_array().unwrap().contains(&serde_json::json!("<0x09>")), "a tab is a byte piece: {v}");
    assert!(!ids.contains(&2), "typed </s> stays text: {v}");
}

#[test]
fn a_missing_or_broken_model_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gguf");
    std::fs::write(&bad, b"GGUF\x03\x00\x00\x00garbage").unwrap();
    for path in [bad, dir.path().join("none.gguf")] {
        let out = tokenize(&["--model", path.to_str().unwrap()], "hi");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(path.file_name().unwrap().to_str().unwrap()) && err.lines().count() == 1, "{err}");
    }
}
