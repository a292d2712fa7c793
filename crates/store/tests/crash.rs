//! Crash safety with a real process: a child streams replies into the store
//! and is killed with SIGKILL at random moments.
//!
//! The child is this test binary itself, run with `--exact crash_child` and
//! `DESK_STORE_CRASH_CHILD` naming the data folder. It prints a line after
//! each commit, so the parent knows a lower bound of what must be on disk.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use desk_protocol::{Message, MessageStatus, ReplyEnd};
use desk_store::Store;

const CHILD_ENV: &str = "DESK_STORE_CRASH_CHILD";
const TRIALS: usize = 60;
const DELTAS: usize = 400;

fn delta(i: usize) -> String {
    format!("tok{i} ")
}

fn full_reply() -> String {
    (0..DELTAS).map(delta).collect()
}

/// Runs only as the child; as an ordinary test it does nothing.
#[test]
fn crash_child() -> anyhow::Result<()> {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return Ok(());
    };
    let (store, _) = Store::open_with(std::path::Path::new(&dir), common::fast_options())?;
    let chat = common::new_chat(&store, None)?;
    let mut parent = None;
    for round in 0.. {
        let question = format!("question {round} of chat {chat}");
        let q = store.add_message(chat, parent, &Message::user(question))?;
        println!("@@Q {q}");
        let mut w = store.begin_reply(chat, q)?;
        println!("@@B {}", w.id());
        for i in 0..DELTAS {
            let before = w.flushed_len();
            w.push(&delta(i))?;
            if w.flushed_len() != before {
                println!("@@F {} {}", w.id(), w.flushed_len());
            }
            std::thread::sleep(Duration::from_micros(30));
        }
        w.finish(ReplyEnd::Finished, None, Some(common::usage(DELTAS)))?;
        println!("@@D {}", w.id());
        parent = Some(w.id());
    }
    Ok(())
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn killed_writers_lose_nothing_committed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let seed = now.as_nanos() as u64 ^ u64::from(std::process::id()) ^ 0x9E37_79B9_7F4A_7C15;
    let mut rng = Rng(seed | 1);
    let expected_reply = full_reply();
    // Every message seen so far: id -> (content, status); must never change.
    let mut settled: HashMap<i64, (String, MessageStatus)> = HashMap::new();
    let mut mid_stream = 0;
    let started = Instant::now();

    for trial in 0..TRIALS {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest may print "test crash_child ... " before the first line.
                if let Some(at) = line.find("@@") {
                    sink.lock()
                        .map(|mut l| l.push(line[at + 2..].to_string()))
                        .ok();
                }
            }
        });
        // Wait for the first reply to start, then kill somewhere in the next
        // rounds: mid-flush, between commits, or during a finish.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !lines
            .lock()
            .map(|l| l.iter().any(|x| x.starts_with('B')))
            .unwrap_or(false)
        {
            anyhow::ensure!(
                Instant::now() < deadline,
                "child never started streaming (trial {trial})"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(rng.below(120_000)));
        child.kill()?; // SIGKILL on Unix
        child.wait()?;
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("reader panicked"))?;
        let lines = lines
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone();

        let (store, report) = Store::open(dir.path())?;
        let integrity: String = rusqlite::Connection::open(dir.path().join(desk_store::DB_FILE))?
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        assert_eq!(integrity, "ok", "trial {trial}, seed {seed:#x}");

        let mut flushed: HashMap<i64, usize> = HashMap::new();
        let mut done = Vec::new();
        let mut questions = Vec::new();
        let mut begun = Vec::new();
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            let id: i64 = parts[1].parse()?;
            match parts[0] {
                "Q" => questions.push(id),
                "B" => begun.push(id),
                "F" => {
                    flushed.insert(id, parts[2].parse()?);
                }
                "D" => done.push(id),
                other => anyhow::bail!("unknown line {other}"),
            }
        }
        let chat = {
            let first = *questions
                .first()
                .ok_or_else(|| anyhow::anyhow!("no question"))?;
            store.list(0, u64::MAX)?.into_iter().find(|c| {
                store
                    .messages(c.id)
                    .map(|m| m.iter().any(|m| m.id == first))
                    .unwrap_or(false)
            })
        }
        .ok_or_else(|| anyhow::anyhow!("the child's conversation is gone"))?
        .id;
        let messages = store.messages(chat)?;
        let by_id: HashMap<i64, _> = messages.iter().map(|m| (m.id, m)).collect();
        for q in &questions {
            let m = by_id
                .get(q)
                .ok_or_else(|| anyhow::anyhow!("committed question {q} lost"))?;
            assert!(m.content.starts_with("question ") && m.status == MessageStatus::Complete);
        }
        for d in &done {
            let m = by_id
                .get(d)
                .ok_or_else(|| anyhow::anyhow!("finished reply {d} lost"))?;
            assert_eq!(m.content, expected_reply, "trial {trial}");
            assert_eq!(m.status, MessageStatus::Complete);
            let stats = m.stats.clone().unwrap_or_default();
            assert_eq!(
                (stats.end, stats.usage),
                (Some(ReplyEnd::Finished), Some(common::usage(DELTAS)))
            );
        }
        for b in begun.iter().filter(|b| !done.contains(b)) {
            let m = by_id
                .get(b)
                .ok_or_else(|| anyhow::anyhow!("begun reply {b} lost"))?;
            if m.status == MessageStatus::Complete {
                // Killed after the finish committed, before it was reported.
                assert_eq!(m.content, expected_reply);
                continue;
            }
            mid_stream += 1;
            assert_eq!(m.status, MessageStatus::Interrupted, "trial {trial}");
            assert_eq!(
                m.stats.as_ref().and_then(|s| s.end),
                Some(ReplyEnd::Interrupted)
            );
            assert!(report.interrupted >= 1);
            let at_least = flushed.get(b).copied().unwrap_or(0);
            assert!(
                m.content.len() >= at_least,
                "trial {trial}: {} < last flush {at_least}",
                m.content.len()
            );
            assert!(
                expected_reply.starts_with(&m.content),
                "trial {trial}: not a prefix"
            );
            assert!(
                m.content.is_empty() || m.content.ends_with(' '),
                "whole deltas only"
            );
        }
        for (id, before) in &settled {
            let now = store.messages_any(*id)?;
            assert_eq!(
                &now, before,
                "message {id} changed after a later crash (trial {trial})"
            );
        }
        for c in store.list(0, u64::MAX)? {
            for m in store.messages(c.id)? {
                settled.insert(m.id, (m.content, m.status));
            }
        }
    }
    eprintln!(
        "{TRIALS} kills, {mid_stream} mid-reply, {} messages checked, {:?}",
        settled.len(),
        started.elapsed()
    );
    assert!(
        mid_stream >= TRIALS / 2,
        "only {mid_stream} of {TRIALS} kills landed mid-reply"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    Ok(())
}

trait MessagesAny {
    fn messages_any(&self, id: i64) -> anyhow::Result<(String, MessageStatus)>;
}

impl MessagesAny for Store {
    fn messages_any(&self, id: i64) -> anyhow::Result<(String, MessageStatus)> {
        for c in self.list(0, u64::MAX)? {
            if let Some(m) = self.messages(c.id)?.into_iter().find(|m| m.id == id) {
                return Ok((m.content, m.status));
            }
        }
        anyhow::bail!("message {id} is gone")
    }
}
