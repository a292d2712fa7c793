//! The sandbox against a real python3: what passes, what fails, what is stopped.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use desk_eval::{NetIsolation, Outcome, Sandbox, SandboxConfig};

const RETURNS_ONE: &str = "def check(candidate):\n    assert candidate() == 1\n";

fn sandbox(timeout_s: u64) -> Sandbox {
    let config = SandboxConfig {
        timeout: Duration::from_secs(timeout_s),
        ..SandboxConfig::default()
    };
    Sandbox::new(config).expect("python3 with audit hooks must be installed for these tests")
}

/// Runs `body` as the body of `f()`, checked to return 1.
fn run_body(sandbox: &Sandbox, body: &str) -> Outcome {
    let program: String = format!("def f():\n{}", indent(body));
    sandbox.run(&program, RETURNS_ONE, "f").unwrap().outcome
}

fn indent(body: &str) -> String {
    body.lines().map(|l| format!("    {l}\n")).collect()
}

fn assert_blocked(outcome: &Outcome, event: &str) {
    match outcome {
        Outcome::Blocked { reason } => assert!(
            reason.contains(event),
            "blocked, but not by {event}: {reason}"
        ),
        other => panic!("expected {event} to be blocked, got {other:?}"),
    }
}

fn assert_failed_with(outcome: &Outcome, text: &str) {
    match outcome {
        Outcome::Failed { reason } => assert!(reason.contains(text), "{reason}"),
        other => panic!("expected a failure with {text}, got {other:?}"),
    }
}

#[test]
fn tiny_problem_passes_and_wrong_answer_fails() {
    let sb = sandbox(10);
    let test = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n";
    let good = sb
        .run("def add(a, b):\n    return a + b\n", test, "add")
        .unwrap();
    assert_eq!(good.outcome, Outcome::Passed);
    assert!(good.duration < Duration::from_secs(5));
    let bad = sb
        .run("def add(a, b):\n    return a - b\n", test, "add")
        .unwrap();
    assert_failed_with(&bad.outcome, "AssertionError");
    let broken = sb
        .run("def add(a, b)\n    return a + b\n", test, "add")
        .unwrap();
    assert_failed_with(&broken.outcome, "SyntaxError");
}

#[test]
fn exiting_early_is_not_passing() {
    let sb = sandbox(10);
    assert_failed_with(
        &run_body(&sb, "import sys\nsys.exit(0)"),
        "exited before the tests finished",
    );
    assert_failed_with(
        &run_body(&sb, "import os\nos._exit(0)"),
        "exited before the tests finished",
    );
    assert_failed_with(&run_body(&sb, "return input()"), "EOFError");
}

#[test]
fn the_standard_library_still_works() {
    let sb = sandbox(10);
    let body = "import hashlib, re, math, collections, itertools, functools, heapq, string\n\
                import random, fractions, decimal, datetime, json, typing, statistics, bisect\n\
                with open('scratch.txt', 'w') as out:\n    out.write('hi')\n\
                import os, shutil\nos.mkdir('d')\nos.rename('scratch.txt', 'd/s.txt')\n\
                assert open('d/s.txt').read() == 'hi'\nshutil.rmtree('d')\n\
                return int(hashlib.md5(b'x').hexdigest() == '9dd4e461268c8034f5c8564e155c67a6')";
    assert_eq!(run_body(&sb, body), Outcome::Passed);
}

#[test]
fn the_environment_is_cleared() {
    let sb = sandbox(10);
    let body = "import os\nassert 'HOME' not in os.environ, os.environ\n\
                assert 'CARGO_PKG_NAME' not in os.environ, os.environ\nreturn 1";
    assert_eq!(run_body(&sb, body), Outcome::Passed);
}

#[test]
fn busy_loop_is_killed_at_the_timeout() {
    let sb = sandbox(2);
    let started = Instant::now();
    let run = sb
        .run(
            "def f():\n    while True:\n        pass\n",
            RETURNS_ONE,
            "f",
        )
        .unwrap();
    assert_eq!(run.outcome, Outcome::TimedOut);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.duration >= Duration::from_millis(1900),
        "{:?}",
        run.duration
    );
}

#[test]
fn sleeping_is_killed_at_the_wall_clock_timeout() {
    let sb = sandbox(2);
    let started = Instant::now();
    assert_eq!(
        run_body(&sb, "import time\ntime.sleep(100)\nreturn 1"),
        Outcome::TimedOut
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn network_connections_are_blocked() {
    let sb = sandbox(10);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Catching the exception does not help: the guard ends the process.
    let body = format!(
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n\
         except Exception:\n    pass\nreturn 1"
    );
    assert_blocked(&run_body(&sb, &body), "socket");
    listener.set_nonblocking(true).unwrap();
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the listener accepted a connection: {accepted:?}"
    );

    let body =
        "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=5)\nreturn 1";
    assert_blocked(&run_body(&sb, body), "urllib.Request");
    let body = "import socket\nsocket.getaddrinfo('example.com', 80)\nreturn 1";
    assert_blocked(&run_body(&sb, body), "socket.getaddrinfo");
}

#[test]
fn network_namespace_has_only_loopback() {
    let sb = sandbox(10);
    if sb.network_isolation() == NetIsolation::AuditHookOnly {
        eprintln!(
            "note: unshare cannot create a network namespace here; only the audit hook guards"
        );
        return;
    }
    // /proc/self/net/dev lists the interfaces of the process's own namespace.
    let body = "names = [l.split(':')[0].strip() for l in open('/proc/self/net/dev').read().splitlines()[2:]]\n\
                assert names == ['lo'], names\nreturn 1";
    assert_eq!(run_body(&sb, body), Outcome::Passed);
}

#[test]
fn writes_outside_the_sandbox_are_blocked() {
    let sb = sandbox(10);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("pwned.txt");
    let keep = outside.path().join("keep.txt");
    std::fs::write(&keep, "keep").unwrap();
    let keep_dir = outside.path().join("keep-dir");
    std::fs::create_dir(&keep_dir).unwrap();
    let (t, k, kd) = (target.display(), keep.display(), keep_dir.display());

    let cases = [
        (format!("open('{t}', 'w').write('x')"), "open"),
        (format!("open('{t}', 'a').write('x')"), "open"),
        (format!("import os\nos.close(os.open('{t}', os.O_WRONLY | os.O_CREAT))"), "open"),
        ("open('../escape.txt', 'w').write('x')".to_string(), "open"),
        (format!("import pathlib\npathlib.Path('{t}').write_text('x')"), "open"),
        (format!("import os\nos.remove('{k}')"), "os.remove"),
        (format!("import os\nos.rename('{k}', 'stolen.txt')"), "os.rename"),
        (format!("import shutil\nshutil.rmtree('{kd}')"), "shutil.rmtree"),
        (format!("import os\nos.rmdir('{kd}')"), "os.rmdir"),
        (format!("import os\nos.mkdir('{kd}/sub')"), "os.mkdir"),
        (format!("import os\nos.chmod('{k}', 0o777)"), "os.chmod"),
        (format!("import os\nd = os.open('{}', os.O_RDONLY)\nos.remove('keep.txt', dir_fd=d)", outside.path().display()), "os.remove"),
        (format!("import os\nd = os.open('{}', os.O_RDONLY)\nos.open('pwned.txt', os.O_WRONLY | os.O_CREAT, dir_fd=d)", outside.path().display()), "open"),
        (format!("import os\nos.symlink('{k}', 'link')"), "os.symlink"),
    ];
    for (body, event) in &cases {
        assert_blocked(&run_body(&sb, &format!("{body}\nreturn 1")), event);
    }
    assert!(!target.exists());
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "keep");
    assert!(keep_dir.is_dir() && !keep_dir.join("sub").exists());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 2);
}

#[test]
fn processes_are_blocked() {
    let sb = sandbox(10);
    let cases = [
        (
            "import subprocess\nsubprocess.run(['echo', 'hi'])",
            "subprocess.Popen",
        ),
        ("import os\nos.system('echo hi')", "os.system"),
        ("import os\nos.execv('/bin/echo', ['echo'])", "os.exec"),
        ("import os\nwhile True:\n    os.fork()", "os.fork"),
        (
            "import multiprocessing\nmultiprocessing.Process(target=print).start()",
            "os.fork",
        ),
        ("import os, signal\nos.kill(1, signal.SIGTERM)", "os.kill"),
        ("import ctypes", "ctypes.dlopen"),
    ];
    for (body, event) in cases {
        assert_blocked(&run_body(&sb, &format!("{body}\nreturn 1")), event);
    }
}

#[test]
fn memory_is_limited() {
    let sb = sandbox(10);
    assert_failed_with(
        &run_body(&sb, "x = bytearray(2 * 1024 ** 3)\nreturn 1"),
        "MemoryError",
    );
}

#[test]
fn output_is_limited() {
    let sb = sandbox(10);
    let outcome = run_body(
        &sb,
        "import sys\nfor _ in range(64):\n    sys.stdout.write('x' * (1 << 20))\nreturn 1",
    );
    // Python ignores SIGXFSZ, so the write fails with EFBIG instead.
    assert_failed_with(&outcome, "File too large");
}

#[test]
fn the_audit_hook_alone_still_blocks_the_network() {
    let config = SandboxConfig { network_namespace: false, ..SandboxConfig::default() };
    let sb = Sandbox::new(config).unwrap();
    assert_eq!(sb.network_isolation(), NetIsolation::AuditHookOnly);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = format!("import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nreturn 1");
    assert_blocked(&run_body(&sb, &body), "socket");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err());
    assert_eq!(run_body(&sb, "return 1"), Outcome::Passed);
}
