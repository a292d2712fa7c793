//! Running a reply's code block: output streams as it comes, the guard and
//! the limits hold as in `desk eval`, and stop kills the run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_eval::{Sandbox, SandboxConfig, Stream, OUTPUT_CAP};

fn sandbox(timeout_s: u64) -> Sandbox {
    let config = SandboxConfig { timeout: Duration::from_secs(timeout_s), ..SandboxConfig::default() };
    Sandbox::new(config).expect("python3 must be installed for these tests")
}

fn run(sb: &Sandbox, code: &str) -> (String, String, desk_eval::ScriptEnd) {
    let (mut out, mut err) = (String::new(), String::new());
    let end = sb
        .run_script(code, &AtomicBool::new(false), &mut |s, t| match s {
            Stream::Stdout => out.push_str(t),
            Stream::Stderr => err.push_str(t),
        })
        .unwrap();
    (out, err, end)
}

#[test]
fn output_and_exit_code_come_back() {
    let (out, err, end) = run(&sandbox(20), "import sys\nprint('hé', 6 * 7)\nprint('warn', file=sys.stderr)\nsys.exit(3)\n");
    assert_eq!(out, "hé 42\n");
    assert_eq!(err, "warn\n");
    assert_eq!(end.exit_code, Some(3));
    assert!(!end.timed_out && !end.stopped && end.blocked.is_none() && !end.output_cut);
}

#[test]
fn a_traceback_names_the_users_line() {
    let (_, err, end) = run(&sandbox(20), "x = 1\n\n\ndef f():\n    return 1 / 0\nf()\n");
    assert_eq!(end.exit_code, Some(1));
    assert!(err.contains("File \"main.py\", line 5"), "{err}");
    assert!(err.contains("ZeroDivisionError"), "{err}");
}

#[test]
fn output_streams_before_the_program_ends() {
    let sb = sandbox(30);
    let first_at = std::cell::Cell::new(None);
    let started = Instant::now();
    let end = sb
        .run_script("import time\nprint('first')\ntime.sleep(2)\nprint('second')\n", &AtomicBool::new(false), &mut |_, t| {
            if t.contains("first") && first_at.get().is_none() {
                first_at.set(Some(started.elapsed()));
            }
        })
        .unwrap();
    let first = first_at.get().expect("first line seen");
    assert!(end.duration >= Duration::from_secs(2));
    assert!(first + Duration::from_millis(1500) < end.duration, "first line at {first:?}, run took {:?}", end.duration);
}

#[test]
fn network_and_writes_outside_are_blocked() {
    let sb = sandbox(20);
    let (_, _, end) = run(&sb, "import socket\nsocket.create_connection(('127.0.0.1', 9))\n");
    let why = end.blocked.expect("blocked");
    assert!(why.contains("socket"), "{why}");
    let target = std::env::temp_dir().join(format!("desk-run-escape-{}", std::process::id()));
    let (_, _, end) = run(&sb, &format!("open({:?}, 'w').write('x')\n", target.display().to_string()));
    assert!(end.blocked.is_some(), "{end:?}");
    assert!(!target.exists());
    // Inside its own folder it may write and read back.
    let (out, _, end) = run(&sb, "open('a.txt', 'w').write('ok')\nprint(open('a.txt').read())\n");
    assert_eq!((out.as_str(), end.exit_code), ("ok\n", Some(0)));
}

#[test]
fn stop_kills_the_run_and_what_it_started() {
    let sb = sandbox(60);
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        s2.store(true, Ordering::Relaxed);
    });
    let mut out = String::new();
    let end = sb.run_script("import time\nprint('running')\nwhile True:\n    time.sleep(0.05)\n", &stop, &mut |_, t| out.push_str(t)).unwrap();
    stopper.join().unwrap();
    assert!(end.stopped && !end.timed_out, "{end:?}");
    assert!(end.duration < Duration::from_secs(30), "{end:?}");
    assert_eq!(out, "running\n");
}

#[test]
fn the_timeout_ends_a_sleeper() {
    let (_, _, end) = run(&sandbox(2), "import time\ntime.sleep(100)\n");
    assert!(end.timed_out, "{end:?}");
    assert!(end.duration < Duration::from_secs(20), "{end:?}");
}

#[test]
fn runaway_output_is_cut_at_the_cap() {
    let mut seen = 0usize;
    let end = sandbox(30).run_script("while True:\n    print('x' * 1000)\n", &AtomicBool::new(false), &mut |_, t| seen += t.len()).unwrap();
    assert!(end.output_cut, "{end:?}");
    assert_eq!(seen, OUTPUT_CAP);
}

#[test]
fn the_description_says_what_is_allowed() {
    let text = sandbox(30).describe();
    for part in ["no network", "temporary folder", "30 s", "1024 MiB"] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
}
