//! `desk models` end to end: inspect, import, rm, and pull against a fake hub
//! on 127.0.0.1 (the same stand-in the downloader's own tests use).

#[path = "../../models/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{content, sha256_hex, Behaviour, FakeFile, FakeHub};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn demo() -> PathBuf {
    root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf")
}

fn desk(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let cwd = data.join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.args(args).current_dir(&cwd).env("DESK_DATA_DIR", data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("desk runs")
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "desk failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn inspect_reports_facts_fit_and_modes_and_refuses_bad_files_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    let out = ok_json(&desk(data.path(), &["models", "inspect", demo().to_str().unwrap(), "--json", "--ctx", "4096"], &[]));
    assert_eq!(out["facts"]["architecture"], "llama");
    assert_eq!(out["facts"]["vocab_size"], 49152);
    let params = out["facts"]["parameter_count"].as_u64().unwrap();
    assert!((130_000_000..140_000_000).contains(&params), "SmolLM2-135M has ~135M parameters, got {params}");
    assert_eq!(out["facts"]["modes"]["chat"], true);
    assert_eq!(out["facts"]["modes"]["infill"], false);
    assert_eq!(out["facts"]["code_llama"], serde_json::Value::Null);
    assert_eq!(out["fit"]["context"], 4096);
    assert_eq!(out["fit"]["kv_cache_bytes"], 30 * 2 * 3 * 64 * 2 * 4096);

    let bad = data.path().join("bad.gguf");
    std::fs::write(&bad, b"GGUF\x03\0\0\0").unwrap();
    let out = desk(data.path(), &["models", "inspect", bad.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("bad.gguf"), "{err}");
}

#[test]
fn import_copies_or_links_a_valid_gguf_and_rm_removes_only_library_files() {
    let data = tempfile::tempdir().unwrap();
    let library = data.path().join("models");
    let out = ok_json(&desk(data.path(), &["models", "import", demo().to_str().unwrap(), "--link", "--json"], &[]));
    assert_eq!(out["how"], "linked");
    let linked = library.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(linked.symlink_metadata().unwrap().file_type().is_symlink());
    // Listed from the library, with its fit.
    let list = ok_json(&desk(data.path(), &["models", "list", "--json"], &[]));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(list[0]["fit"]["total_bytes"].as_u64().unwrap() > list[0]["facts"]["file_size"].as_u64().unwrap());
    // A second import of the same name is refused, not overwritten.
    assert!(!desk(data.path(), &["models", "import", demo().to_str().unwrap()], &[]).status.success());

    // A text file is refused before anything is copied.
    let fake = data.path().join("notes.gguf");
    std::fs::write(&fake, "hello").unwrap();
    let out = desk(data.path(), &["models", "import", fake.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    assert!(!library.join("notes.gguf").exists());

    // rm takes bare library names only; removing a link never touches its target.
    for hostile in ["../notes.gguf", "/etc/passwd", "..", ".hidden.gguf"] {
        let out = desk(data.path(), &["models", "rm", hostile], &[]);
        assert!(!out.status.success(), "{hostile} accepted");
    }
    assert!(fake.exists());
    ok_json(&desk(data.path(), &["models", "rm", "SmolLM2-135M-Instruct.Q4_1.gguf", "--json"], &[]));
    assert!(linked.symlink_metadata().is_err());
    assert!(demo().exists());
}

#[test]
fn pull_downloads_from_the_catalogue_verifies_and_resumes() {
    const REPO: &str = "TheBloke/CodeLlama-7B-Instruct-GGUF";
    const FILE: &str = "codellama-7b-instruct.Q4_K_M.gguf";
    let bytes = content(3 << 20);
    let hub = FakeHub::start(
        vec![FakeFile::new(REPO, FILE, bytes.clone())],
        Behaviour { drop_at: Some(1 << 20), drops: 1, ..Behaviour::default() },
    );
    let data = tempfile::tempdir().unwrap();
    let env = [("DESK_HF_ENDPOINT", hub.endpoint())];
    let out = ok_json(&desk(data.path(), &["models", "pull", "codellama-7b-instruct:q4_k_m", "--json"], &env));
    assert_eq!(out["sha256"], sha256_hex(&bytes));
    assert_eq!(std::fs::read(data.path().join("models").join(FILE)).unwrap(), bytes);
    assert!(hub.content_requests().iter().any(|r| r.range.is_some()), "the dropped connection was resumed with a Range request");
    // Pulled again: nothing is fetched.
    let before = hub.content_requests().len();
    let out = ok_json(&desk(data.path(), &["models", "pull", "codellama-7b-instruct:q4_k_m", "--json"], &env));
    assert_eq!(out["outcome"], "already present");
    assert_eq!(hub.content_requests().len(), before);

    // Unknown names and a 404 are clear errors.
    let out = desk(data.path(), &["models", "pull", "gpt-5"], &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the catalogue"));
    let out = desk(data.path(), &["models", "pull", "codellama-13b-python:q8_0"], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).to_lowercase().contains("not found"), "{}", String::from_utf8_lossy(&out.stderr));
    // The catalogue lists all 27 files.
    let cat = ok_json(&desk(data.path(), &["models", "catalog", "--json"], &[]));
    assert_eq!(cat.as_array().unwrap().len(), 27);
}

/// The fit estimate against what loading and answering really takes.
#[test]
fn the_fit_estimate_matches_measured_peak_memory_on_the_demo_model() {
    let data = tempfile::tempdir().unwrap();
    let bench = ok_json(&desk(
        data.path(),
        &["bench", "--json", "--model", demo().to_str().unwrap(), "--prompt-tokens", "64", "--gen-tokens", "8"],
        &[],
    ));
    let measured = bench["peak_rss_mib"].as_f64().unwrap() * (1 << 20) as f64;
    let fit = ok_json(&desk(data.path(), &["models", "inspect", demo().to_str().unwrap(), "--json", "--ctx", "72"], &[]));
    let estimate = fit["fit"]["total_bytes"].as_f64().unwrap();
    let ratio = estimate / measured;
    assert!((0.75..1.35).contains(&ratio), "estimate {estimate:.0} vs measured peak {measured:.0} (ratio {ratio:.2})");
}
