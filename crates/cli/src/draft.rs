//! `desk chat`'s multi-line paste: while lines arrive between two `"""` lines,
//! the message so far is prefilled after each pause, as the app's composer
//! does, so after the closing `"""` only the rest is processed.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use desk_engine::{Backend, CancelHandle, EngineError};
use desk_protocol::{Conversation, Prefill};
use tokio::sync::mpsc::UnboundedReceiver;

/// Lines unchanged this long start a prefill of the block so far.
pub const PREFILL_AFTER: Duration = Duration::from_millis(500);
const FENCE: &str = "\"\"\"";

type Job<'a> = Pin<Box<dyn Future<Output = Result<Prefill, EngineError>> + 'a>>;

/// One message: a line, or the lines between two `"""` lines. Also returns
/// how much of the message's prompt was computed before it ended.
pub async fn read_message(lines: &mut UnboundedReceiver<String>, engine: &dyn Backend, conv: &Conversation) -> Option<(String, Option<Prefill>)> {
    let first = lines.recv().await?;
    if first.trim() != FENCE {
        return Some((first, None));
    }
    let stop = CancelHandle::default();
    let stop = &stop;
    let mut block: Vec<String> = Vec::new();
    let mut prefilled_lines = 0;
    let mut job: Option<Job<'_>> = None;
    let mut last = None;
    loop {
        tokio::select! {
            line = lines.recv() => match line {
                Some(l) if l.trim() != FENCE => block.push(l),
                _ => break,
            },
            done = async {
                match job.as_mut() {
                    Some(j) => j.await,
                    None => std::future::pending().await,
                }
            }, if job.is_some() => {
                job = None;
                last = done.inspect_err(|e| eprintln!("(prefill stopped: {e})")).ok();
            }
            // Lines only ever append, so every prefill is a prefix of the message.
            _ = tokio::time::sleep(PREFILL_AFTER), if job.is_none() && block.len() > prefilled_lines => {
                prefilled_lines = block.len();
                let draft = format!("{}\n", block.join("\n"));
                job = Some(Box::pin(async move { engine.prefill(conv, &draft, stop, Box::new(|_| {})).await }));
            }
        }
    }
    // The chunk in flight is part of this message's prompt: let it land in the cache.
    if let Some(j) = job {
        last = j.await.ok().or(last);
    }
    Some((block.join("\n"), last))
}
