//! UI speed benchmark, in the real window on the scripted fake backend.
//! Prints figures and asserts none of them:
//!
//! ```sh
//! xvfb-run -a cargo test --release --workspace --test ui_speed -- --ignored --nocapture
//! ```
//!
//! - streaming: `DESK_FAKE_BENCH` streams prose and code at 200 tokens/s,
//!   stamping `⏱<unix ms>` every ~10 tokens; a MutationObserver in the page
//!   turns each stamp's first appearance into a lag, a timer loop records the
//!   longest main-thread stall. `DESK_BENCH_SECONDS` shortens the 60 s run.
//! - history: a stored 1,000-message conversation, from the click in the
//!   sidebar to the 1,000th message in the DOM plus one frame.
//! - launch: WebDriver session start to the composer present and a frame drawn.

mod common;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use desk_protocol::Message;
use desk_store::{NewConversation, Store};
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::Client;
use serde_json::Value;

use common::*;

type Rows = Vec<(String, String)>;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: prints figures; run with --ignored --nocapture"]
async fn ui_speed() -> Result<()> {
    let mut rows = Rows::new();
    launch(&mut rows).await?;
    history(&mut rows).await?;
    streaming(&mut rows).await?;
    println!("\nUI speed (WebKitGTK under Xvfb, scripted fake backend)\n");
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    println!("{:<width$}  value", "measure");
    println!("{}  {}", "-".repeat(width), "-".repeat(28));
    for (k, v) in &rows {
        println!("{k:<width$}  {v}");
    }
    println!();
    Ok(())
}

fn fake_env(data: &std::path::Path, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let reply = root().join("tests/fixtures/code-reply.md");
    let mut env = vec![("DESK_FAKE_REPLY", reply.display().to_string()), ("DESK_DATA_DIR", data.display().to_string())];
    env.extend(extra.iter().cloned());
    env
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn long_scripts(c: &Client) -> Result<()> {
    c.update_timeouts(TimeoutConfiguration::new(Some(Duration::from_secs(180)), None, None)).await?;
    Ok(())
}

/// Resolves after the next frame (or 2 s, if frames are not being drawn).
const NEXT_FRAME: &str = "const done = arguments[arguments.length - 1];
    let sent = false; const finish = (raf) => { if (!sent) { sent = true; done({ raf, now: performance.now() }); } };
    requestAnimationFrame(() => finish(true)); setTimeout(() => finish(false), 2000);";

async fn launch(rows: &mut Rows) -> Result<()> {
    let mut figures = Vec::new();
    for run in 0..3 {
        let dir = models_dir(&[])?;
        let env = fake_env(&dir.path().join("data"), &[]);
        let _driver = Driver::start(dir.path(), 4600 + run * 10, &borrowed(&env))?;
        let start = Instant::now();
        let c = connect(4600 + run * 10).await?;
        let session = start.elapsed();
        wait_css(&c, "#composer", 30).await?;
        let frame = c.execute_async(NEXT_FRAME, vec![]).await?;
        let interactive = start.elapsed();
        let page_ms = frame["now"].as_f64().unwrap_or(f64::NAN);
        figures.push(format!(
            "run {}: session {:.0} ms, interactive {:.0} ms (page clock {page_ms:.0} ms{})",
            run + 1,
            session.as_secs_f64() * 1e3,
            interactive.as_secs_f64() * 1e3,
            if frame["raf"] == true { "" } else { ", no frame drawn" }
        ));
        let _ = c.close().await;
    }
    for (i, f) in figures.into_iter().enumerate() {
        rows.push((if i == 0 { "cold launch".into() } else { String::new() }, f));
    }
    Ok(())
}

/// 500 questions and 500 answers, each answer prose plus a code block.
fn write_thousand(data: &std::path::Path) -> Result<()> {
    let (store, _) = Store::open(data)?;
    let chat = store.create_conversation(&NewConversation { title: "A thousand messages".into(), ..NewConversation::default() })?;
    let mut parent = None;
    for i in 0..500 {
        let q = Message::user(format!("Question {i}: how do I sum the even numbers in a list, version {i}?"));
        let qid = store.add_message(chat, parent, &q)?;
        let a = Message::assistant(format!(
            "Answer {i}: filter the even numbers, then sum them.\n\n```python\ndef sum_even_{i}(values):\n    total = 0\n    for v in values:\n        if v % 2 == 0:\n            total += v\n    return total\n```\n\nThis runs in linear time; `sum(v for v in values if v % 2 == 0)` is the one-line form."
        ));
        parent = Some(store.add_message(chat, Some(qid), &a)?);
    }
    Ok(())
}

async fn history(rows: &mut Rows) -> Result<()> {
    let dir = models_dir(&[])?;
    let data = dir.path().join("data");
    write_thousand(&data)?;
    let env = fake_env(&data, &[]);
    let _driver = Driver::start(dir.path(), 4640, &borrowed(&env))?;
    let c = connect(4640).await?;
    let result = async {
        long_scripts(&c).await?;
        wait_css(&c, ".chat-item.saved", 30).await?;
        // The shell's part alone: read 1,000 messages, render 500 replies, send them over IPC.
        let ipc = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const core = window.__TAURI__.core;
                 core.invoke('history_list').then(list => {
                   const t0 = performance.now();
                   return core.invoke('history_open', { id: list[0].id }).then(() => done(performance.now() - t0));
                 }).catch(e => done(String(e)));",
                vec![],
            )
            .await?;
        let clicked = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const target = document.querySelector('.chat-item.saved');
                 let finished = false;
                 const t0 = performance.now();
                 const check = () => {
                   const n = document.querySelectorAll('#messages .msg').length;
                   // The chat opens on its last messages with a button for the rest.
                   if (finished || n === 0 || !(document.querySelector('#messages .earlier') || n >= 1000)) return;
                   finished = true; obs.disconnect();
                   const dom = performance.now() - t0;
                   let sent = false;
                   const finish = (raf) => { if (!sent) { sent = true; done({ dom, paint: performance.now() - t0, raf }); } };
                   requestAnimationFrame(() => finish(true)); setTimeout(() => finish(false), 2000);
                 };
                 const obs = new MutationObserver(check);
                 obs.observe(document.body, { childList: true, subtree: true });
                 target.click();",
                vec![],
            )
            .await?;
        let count = count(&c, "#messages .msg").await?;
        rows.push(("1,000-message chat: open (IPC+render)".into(), format!("{:.0} ms", ipc.as_f64().context(format!("history_open failed: {ipc}"))?)));
        rows.push(("1,000-message chat: click -> in DOM".into(), format!("{:.0} ms", clicked["dom"].as_f64().unwrap_or(f64::NAN))));
        rows.push((
            "1,000-message chat: click -> painted".into(),
            format!("{:.0} ms ({count} messages{})", clicked["paint"].as_f64().unwrap_or(f64::NAN), if clicked["raf"] == true { "" } else { ", no frame" }),
        ));
        shot(&c, "bench-thousand.png").await
    }
    .await;
    let _ = c.close().await;
    result
}

/// Installed before the reply starts: stamps seen, lags, stalls and frame gaps.
const OBSERVE: &str = "
const B = window.__bench = { lags: [], frameLags: [], pending: [], seen: new Set(), stall: 0, stallAt: 0, long: 0, frameGap: 0, first: null, last: null, stop: false };
const re = /⏱(\\d{13})/g;
const scan = (text) => {
  for (const m of text.matchAll(re)) {
    if (B.seen.has(m[1])) continue;
    B.seen.add(m[1]);
    const sent = Number(m[1]);
    B.lags.push(Date.now() - sent);
    B.pending.push(sent);
  }
};
new MutationObserver((records) => {
  const now = performance.now();
  if (B.first === null) B.first = now;
  B.last = now;
  for (const r of records) {
    if (r.type === 'characterData') scan(r.target.data || '');
    for (const n of r.addedNodes) scan(n.textContent || '');
  }
}).observe(document.querySelector('main.chat'), { childList: true, subtree: true, characterData: true });
let lastTick = performance.now();
(function tick() {
  const now = performance.now(), gap = now - lastTick; lastTick = now;
  if (gap > B.stall) { B.stall = gap; B.stallAt = B.first === null ? -1 : now - B.first; }
  if (gap > 50 && B.first !== null) B.long += 1;
  if (!B.stop) setTimeout(tick, 0);
})();
let lastFrame = performance.now();
(function frame() {
  const now = performance.now(); B.frameGap = Math.max(B.frameGap, now - lastFrame); lastFrame = now;
  const wall = Date.now();
  for (const sent of B.pending) B.frameLags.push(wall - sent);
  B.pending = [];
  if (!B.stop) requestAnimationFrame(frame);
})();
";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn numbers(v: &Value) -> Vec<f64> {
    let mut out: Vec<f64> = v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    out.sort_by(f64::total_cmp);
    out
}

async fn streaming(rows: &mut Rows) -> Result<()> {
    let seconds: u64 = std::env::var("DESK_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = models_dir(&[])?;
    let env = fake_env(&dir.path().join("data"), &[("DESK_FAKE_BENCH", seconds.to_string())]);
    let _driver = Driver::start(dir.path(), 4650, &borrowed(&env))?;
    let c = connect(4650).await?;
    let result = async {
        long_scripts(&c).await?;
        wait_css(&c, "#model-ready", 30).await?;
        c.execute(OBSERVE, vec![]).await?;
        ask(&c, "Stream the benchmark reply").await?;
        wait_css(&c, ".msg.assistant.streaming", 10).await?;
        wait_idle(&c, seconds + 120).await?;
        let b = c
            .execute(
                "const B = window.__bench; B.stop = true;
                 const docs = document.querySelectorAll('.msg.assistant .doc');
                 const chars = docs.length ? docs[docs.length - 1].textContent.length : 0;
                 return { lags: B.lags, frameLags: B.frameLags, stall: B.stall, stallAt: B.stallAt, long: B.long, frameGap: B.frameGap, span: B.last - B.first, chars, seen: B.seen.size };",
                vec![],
            )
            .await?;
        shot(&c, "bench-stream.png").await?;
        let lags = numbers(&b["lags"]);
        let frame_lags = numbers(&b["frameLags"]);
        let span_s = b["span"].as_f64().unwrap_or(f64::NAN) / 1e3;
        let chars = b["chars"].as_f64().unwrap_or(0.0);
        let expected = seconds as f64 * 200.0 / 10.0;
        rows.push((format!("stream {seconds}s @200 tok/s: stamps seen"), format!("{} (~{expected:.0} slots; fence lines skip theirs)", b["seen"])));
        let ms = |v: &[f64]| format!("p50 {:.0} / p95 {:.0} / max {:.0} ms", percentile(v, 0.5), percentile(v, 0.95), v.last().copied().unwrap_or(f64::NAN));
        rows.push(("stream: lag sent -> in DOM".into(), ms(&lags)));
        rows.push(("stream: lag sent -> next frame".into(), ms(&frame_lags)));
        let at = b["stallAt"].as_f64().unwrap_or(f64::NAN);
        let when = if at < 0.0 { "before the first token".to_string() } else { format!("{:.1} s into the reply", at / 1e3) };
        rows.push(("stream: longest main-thread stall".into(), format!("{:.0} ms, {when}", b["stall"].as_f64().unwrap_or(f64::NAN))));
        rows.push(("stream: timer gaps over 50 ms".into(), b["long"].to_string()));
        rows.push(("stream: longest gap between frames".into(), format!("{:.0} ms", b["frameGap"].as_f64().unwrap_or(f64::NAN))));
        rows.push(("stream: chars rendered".into(), format!("{chars:.0} in {span_s:.1} s = {:.0} chars/s", chars / span_s)));
        Ok(())
    }
    .await;
    let _ = c.close().await;
    result
}
