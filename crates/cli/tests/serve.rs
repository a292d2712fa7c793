//! `desk serve` on the demo model, driven by the real `openai` Python client
//! (installed by .ci/setup into ~/.cache/desk-py) over 127.0.0.1 only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn openai_package() -> PathBuf {
    let dir = std::env::var_os("DESK_PY_OPENAI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/desk-py/openai"));
    assert!(dir.join("openai").is_dir(), "the openai Python package is missing in {}: run `bash .ci/setup`", dir.display());
    dir
}

/// A server that is killed when the test ends, however it ends.
struct Serving {
    child: Child,
    url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path, extra: &[&str]) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_desk"))
        .args(["serve", "--port", "0"])
        .args(extra)
        .current_dir(root())
        .env("DESK_DATA_DIR", data)
        .env_remove("DESK_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("desk serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"), "the first line is the URL: {url:?}");
    Serving { child, url }
}

fn stored_conversations(data: &Path) -> u64 {
    if !data.join(desk_store::DB_FILE).exists() {
        return 0;
    }
    desk_store::Store::open(data).unwrap().0.count().unwrap()
}

#[test]
fn the_openai_client_works_against_desk_serve_and_every_refusal_holds() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &[]);
    let key_file = data.path().join(desk_api::key::KEY_FILE);
    let key = std::fs::read_to_string(&key_file).expect("a key is generated on first use");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let out = Command::new("python3")
        .arg(root().join("crates/cli/tests/openai_client.py"))
        .args([&server.url, key.trim()])
        .env("PYTHONPATH", openai_package())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "the openai client's checks failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("all checks passed"));
    assert_eq!(stored_conversations(data.path()), 0, "nothing is kept without --record");
}

#[test]
fn record_keeps_each_exchange_in_the_history() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path(), &["--record"]);
    let key = std::fs::read_to_string(data.path().join(desk_api::key::KEY_FILE)).unwrap();
    let script = "import sys, openai\n\
        c = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)\n\
        r = c.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'Say hi.'}], max_tokens=6, temperature=0)\n\
        print(r.choices[0].message.content)\n";
    let out = Command::new("python3")
        .args(["-c", script, &server.url, key.trim()])
        .env("PYTHONPATH", openai_package())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reply = String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string();
    drop(server);
    let store = desk_store::Store::open(data.path()).unwrap().0;
    assert_eq!(store.count().unwrap(), 1);
    let id = store.list(0, 1).unwrap()[0].id;
    let conv = store.resume(id).unwrap();
    assert_eq!(conv.messages[0].content, "Say hi.");
    assert_eq!(conv.messages.last().unwrap().content, reply, "the stored reply is what the client got");
}

#[test]
fn serving_beyond_loopback_without_a_key_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_desk"))
        .args(["serve", "--host", "0.0.0.0", "--port", "0"])
        .current_dir(root())
        .env("DESK_DATA_DIR", data.path())
        .env_remove("DESK_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DESK_API_KEY"), "{err}");
}
