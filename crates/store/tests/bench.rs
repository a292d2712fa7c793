//! Speed at scale: 10,000 conversations x 100 messages. Opt-in, it builds a
//! ~1M-message database first:
//!
//! ```sh
//! cargo test --release -p desk-store --test bench -- --ignored --nocapture
//! ```
//!
//! `DESK_BENCH_CONVERSATIONS` shrinks it; `DESK_BENCH_DIR` keeps the built
//! database between runs.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use desk_protocol::ReplyEnd;
use desk_store::{Store, DB_FILE};
use rusqlite::params;

const PER_CONVERSATION: usize = 100;
const BIG_CONVERSATION: usize = 1000;

const WORDS: &[&str] = &[
    "the",
    "a",
    "function",
    "returns",
    "value",
    "struct",
    "impl",
    "trait",
    "lifetime",
    "borrow",
    "mutable",
    "reference",
    "vector",
    "string",
    "slice",
    "iterator",
    "closure",
    "async",
    "await",
    "future",
    "thread",
    "mutex",
    "channel",
    "error",
    "result",
    "option",
    "match",
    "pattern",
    "enum",
    "generic",
    "type",
    "compile",
    "python",
    "list",
    "dict",
    "lambda",
    "class",
    "method",
    "java",
    "interface",
    "pointer",
    "memory",
    "heap",
    "stack",
    "test",
    "assert",
    "loop",
    "index",
    "hash",
    "map",
    "sort",
    "binary",
    "search",
    "tree",
    "node",
    "graph",
    "query",
    "database",
    "sql",
    "table",
    "join",
    "regex",
    "parse",
    "json",
    "http",
    "request",
    "server",
    "client",
    "socket",
    "file",
    "read",
    "write",
    "buffer",
    "bytes",
    "unicode",
    "format",
    "print",
    "debug",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Skewed towards the front, like word use.
    fn word(&mut self) -> String {
        let r = self.next();
        if r.is_multiple_of(50) {
            // A long tail of rare identifiers.
            return format!("ident_{}", self.next() % 200_000);
        }
        let a = (r >> 8) as usize % WORDS.len();
        let b = (r >> 24) as usize % WORDS.len();
        WORDS[a.min(b)].to_string()
    }

    fn text(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.word())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn build(dir: &Path, conversations: usize) -> anyhow::Result<i64> {
    drop(Store::open(dir)?);
    let mut conn = rusqlite::Connection::open(dir.join(DB_FILE))?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let existing: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))?;
    // A kept database (DESK_BENCH_DIR) is reused; runs delete and restore one chat.
    if existing as usize == conversations + 1 {
        return Ok(conn.query_row(
            "SELECT id FROM conversations WHERE title = 'big'",
            [],
            |r| r.get(0),
        )?);
    }
    anyhow::ensure!(
        existing == 0,
        "{} holds another size; remove it",
        dir.display()
    );
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let tx = conn.transaction()?;
    let big;
    {
        let mut conv = tx.prepare(
            "INSERT INTO conversations (title, created, updated, model) VALUES (?1, ?2, ?3, 'bench.gguf')",
        )?;
        let mut msg = tx.prepare(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, created, reply_end,
                 prompt_tokens, completion_tokens, ttft_ms, prompt_tok_per_s, decode_tok_per_s)
             VALUES (?1, ?2, ?3, ?4, 'complete', ?5, ?6, ?7, ?8, 120.5, 300.25, 12.5)",
        )?;
        let mut leaf_stmt =
            tx.prepare("UPDATE conversations SET active_leaf = ?2 WHERE id = ?1")?;
        let t0 = 1_700_000_000_000i64;
        for c in 0..=conversations {
            let n = if c == conversations {
                BIG_CONVERSATION
            } else {
                PER_CONVERSATION
            };
            let title = if c == conversations {
                "big".to_string()
            } else {
                rng.text(5)
            };
            let when = t0 + (rng.next() % 10_000_000_000) as i64;
            conv.execute(params![title, when, when])?;
            let id = tx.last_insert_rowid();
            let mut parent: Option<i64> = None;
            for m in 0..n {
                let user = m % 2 == 0;
                let content = rng.text(if user { 15 } else { 45 });
                let (role, end, pt, ct) = if user {
                    ("user", None, None, None)
                } else {
                    ("assistant", Some("finished"), Some(300), Some(60))
                };
                msg.execute(params![
                    id,
                    parent,
                    role,
                    content,
                    when + m as i64,
                    end,
                    pt,
                    ct
                ])?;
                parent = Some(tx.last_insert_rowid());
            }
            leaf_stmt.execute(params![id, parent])?;
            if c == conversations {
                big = id;
                drop(conv);
                drop(msg);
                drop(leaf_stmt);
                tx.commit()?;
                conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE; PRAGMA optimize;")?;
                return Ok(big);
            }
        }
    }
    anyhow::bail!("unreachable")
}

fn median<T>(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Duration, Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed());
    }
    times.sort();
    let out = last.ok_or_else(|| anyhow::anyhow!("no runs"))?;
    Ok((times[times.len() / 2], times[times.len() * 99 / 100], out))
}

#[test]
#[ignore = "builds a 1M-message database; run with --ignored"]
fn bench_history_at_scale() -> anyhow::Result<()> {
    let conversations: usize = std::env::var("DESK_BENCH_CONVERSATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let temp = tempfile::tempdir()?;
    let dir = std::env::var("DESK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| temp.path().into());
    let t = Instant::now();
    let big = build(&dir, conversations)?;
    let size = std::fs::metadata(dir.join(DB_FILE))?.len();
    println!(
        "database: {conversations} x {PER_CONVERSATION} messages + one of {BIG_CONVERSATION}, {:.0} MB, ready in {:.1?}",
        size as f64 / 1e6,
        t.elapsed()
    );

    let t = Instant::now();
    let (store, _) = Store::open(&dir)?;
    println!("open:                          {:>9.2?}", t.elapsed());
    let (first, _, page) = {
        let t = Instant::now();
        let page = store.list(0, 50)?;
        (t.elapsed(), (), page)
    };
    assert_eq!(page.len(), 50);
    let (med, p99, _) = median(50, || Ok(store.list(0, 50)?))?;
    println!("list first page (50), cold:    {first:>9.2?}");
    println!("list first page (50):          {med:>9.2?} median, {p99:.2?} p99   (goal <= 20 ms)");
    let (med, _, _) = median(20, || Ok(store.list(5000, 50)?))?;
    println!("list page at offset 5000:      {med:>9.2?} median");

    let (med, p99, view) = median(20, || Ok(store.view(big)?))?;
    assert_eq!(view.branch.len(), BIG_CONVERSATION);
    println!("open 1,000-message chat:       {med:>9.2?} median, {p99:.2?} p99   (goal <= 50 ms)");

    for query in [
        "mutex",
        "ident_4242",
        "lifetime borrow",
        "database join regex",
    ] {
        let (med, p99, results) = median(10, || Ok(store.search(query, 0, 20)?))?;
        let hits = results.hits;
        let total: i64 = rusqlite::Connection::open(dir.join(DB_FILE))?.query_row(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1",
            [query
                .split(' ')
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" ")],
            |r| r.get(0),
        )?;
        assert!(!hits.is_empty() || total == 0, "{query}");
        println!(
            "search {query:<22} {med:>9.2?} median, {p99:.2?} p99, {total} matches, top 20{}   (goal <= 100 ms)",
            results.ranked_newest.map(|n| format!(" of the newest {n}")).unwrap_or_default()
        );
    }

    let leaf = store
        .meta(big)?
        .active_leaf
        .ok_or_else(|| anyhow::anyhow!("no leaf"))?;
    let q = store.add_message(
        big,
        Some(leaf),
        &desk_protocol::Message::user("one more question"),
    )?;
    let mut w = store.begin_reply(big, q)?;
    let mut i = 0;
    let (med, p99, _) = median(300, || {
        i += 1;
        w.push(&format!("token{i} "))?;
        w.flush()?;
        Ok(())
    })?;
    w.finish(ReplyEnd::Finished, None, None)?;
    println!("append while streaming:        {med:>9.2?} median, {p99:.2?} p99 per flush   (goal <= 1 ms)");

    let victim = page[10].id;
    let t = Instant::now();
    let deleted = store.delete(victim)?;
    println!(
        "delete one chat (scrubbed):    {:>9.2?} (WAL cleared: {})",
        t.elapsed(),
        deleted.wal_cleared
    );
    let t = Instant::now();
    store.restore(&deleted)?;
    println!("undo that delete:              {:>9.2?}", t.elapsed());
    Ok(())
}
