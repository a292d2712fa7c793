//! `desk eval` and `desk complete` end to end on the real demo model. The
//! HumanEval data is fetched by the setup script (crates/eval/fetch-humaneval.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn humaneval() -> PathBuf {
    std::env::var_os("DESK_HUMANEVAL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/desk-data/HumanEval.jsonl.gz"))
}

fn desk(args: &[&str], stdin: &str) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_desk"))
        .args(args)
        .current_dir(root())
        .env("DESK_DATA_DIR", data.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn humaneval_on_the_demo_model_gives_a_well_formed_report() {
    let data = humaneval();
    assert!(data.exists(), "HumanEval data missing at {}: run bash .ci/setup", data.display());
    let out = desk(&["eval", "humaneval", "--limit", "5", "--max-tokens", "160", "--json", "--data", data.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["problems"], 5);
    assert_eq!(report["mode"], "instruct", "the demo model has a chat template");
    assert_eq!(report["model"], "SmolLM2-135M-Instruct.Q4_1.gguf");
    let per = report["per_problem"].as_array().unwrap();
    let ids: Vec<&str> = per.iter().map(|p| p["task_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["HumanEval/0", "HumanEval/1", "HumanEval/2", "HumanEval/3", "HumanEval/4"]);
    let passed: u64 = per.iter().map(|p| p["passed_count"].as_u64().unwrap()).sum();
    assert_eq!(report["passed"].as_u64().unwrap(), passed);
    assert!((report["pass_at_1"].as_f64().unwrap() - passed as f64 / 5.0).abs() < 1e-9);
    for p in per {
        let status = p["outcomes"][0]["status"].as_str().unwrap();
        assert!(["passed", "failed", "timed_out", "blocked"].contains(&status), "{p}");
        assert!(p["tokens_generated"][0].as_u64().unwrap() > 0, "the model generated something: {p}");
    }
}

#[test]
fn missing_data_and_non_infill_models_are_clear_errors() {
    let out = desk(&["eval", "humaneval", "--data", "/nonexistent/HumanEval.jsonl.gz"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fetch-humaneval.sh"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = desk(&["eval", "infill", "--limit", "1", "--data", humaneval().to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Code Llama model"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn complete_continues_the_text_greedily_and_reproducibly() {
    let args = ["complete", "--json", "--temperature", "0", "--max-tokens", "12"];
    let a = desk(&args, "def add(a, b):\n");
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let a: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(!a["continuation"].as_str().unwrap().is_empty());
    assert_eq!(a["usage"]["completion_tokens"].as_u64().unwrap() <= 12, true);
    let b: serde_json::Value = serde_json::from_slice(&desk(&args, "def add(a, b):\n").stdout).unwrap();
    assert_eq!(a["continuation"], b["continuation"], "greedy completion is deterministic");
    // Empty input is refused, not sent.
    assert!(!desk(&["complete"], "").status.success());
}
