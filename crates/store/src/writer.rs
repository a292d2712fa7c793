//! A reply written while it streams, so a crash loses at most one flush
//! interval of text.

use std::time::{Duration, Instant};

use desk_protocol::{
    ChatEvent, ConversationId, Dropped, Message, MessageId, MessageStatus, ReplyEnd, Role,
    StopReason, Usage,
};
use rusqlite::{params, Connection};

use crate::error::{Result, StoreError};
use crate::open::{configure, connect, Store};
use crate::rows::{end_str, finite, status_str};
use crate::time::now_ms;

/// Owns its own connection, so it can move to the task that streams while
/// the `Store` keeps serving the sidebar. Dropped unfinished (an error path,
/// a panic), it saves what it has and marks the reply interrupted.
pub struct ReplyWriter {
    conn: Connection,
    id: MessageId,
    conversation: ConversationId,
    text: String,
    flushed_len: usize,
    last_flush: Instant,
    interval: Duration,
    usage: Option<Usage>,
    finished: bool,
}

impl Store {
    /// Starts an assistant reply under `parent` (normally the question just
    /// added) and makes it the active leaf; it is committed empty and marked
    /// streaming until finished.
    pub fn begin_reply(
        &self,
        conversation: ConversationId,
        parent: MessageId,
    ) -> Result<ReplyWriter> {
        let id = self.add_with_status(
            conversation,
            Some(parent),
            &Message {
                role: Role::Assistant,
                content: String::new(),
            },
            MessageStatus::Streaming,
        )?;
        let conn = (|| {
            let conn = connect(&self.path, &self.options)?;
            configure(&conn)?;
            // Flushes only need to survive the process dying, which WAL's NORMAL
            // mode guarantees; the final commit goes back to FULL.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            Ok::<_, rusqlite::Error>(conn)
        })()
        .map_err(|e| self.ctx(e.into()))?;
        Ok(ReplyWriter {
            conn,
            id,
            conversation,
            text: String::new(),
            flushed_len: 0,
            last_flush: Instant::now(),
            interval: self.options.flush_interval,
            usage: None,
            finished: false,
        })
    }
}

impl ReplyWriter {
    pub fn id(&self) -> MessageId {
        self.id
    }

    pub fn conversation(&self) -> ConversationId {
        self.conversation
    }

    /// The reply so far, flushed or not.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How much of `text()` is committed (bytes).
    pub fn flushed_len(&self) -> usize {
        self.flushed_len
    }

    /// Appends text; commits when the flush interval has passed since the last commit.
    pub fn push(&mut self, delta: &str) -> Result<()> {
        if self.finished {
            return Err(StoreError::ReplyFinished);
        }
        self.text.push_str(delta);
        self.flush_if_due().map(|_| ())
    }

    /// Commits pending text if the interval has passed. Call it on a timer
    /// when text may stall, so a slow token is not held back longer than that.
    pub fn flush_if_due(&mut self) -> Result<bool> {
        if self.last_flush.elapsed() >= self.interval && self.flushed_len < self.text.len() {
            self.flush()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Commits the text so far now.
    pub fn flush(&mut self) -> Result<()> {
        if self.finished {
            return Err(StoreError::ReplyFinished);
        }
        // Setting the status again undoes another process's recovery that took
        // this live reply for a dead one.
        let n = self.conn.prepare_cached(
            "UPDATE messages SET content = ?2, status = 'streaming', reply_end = NULL WHERE id = ?1",
        )?
        .execute(params![self.id, self.text])?;
        if n == 0 {
            return Err(StoreError::NoMessage(self.id));
        }
        self.flushed_len = self.text.len();
        self.last_flush = Instant::now();
        Ok(())
    }

    /// Records what the engine said when the reply started: what the context
    /// policy dropped and the seed, saved now so a crash keeps them.
    pub fn started(&mut self, dropped: Option<&Dropped>, seed: Option<u64>) -> Result<()> {
        let dropped = dropped
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::InvalidData(format!("dropped: {e}")))?;
        self.conn.execute(
            "UPDATE messages SET dropped = ?2, seed = ?3 WHERE id = ?1",
            params![self.id, dropped, seed.map(|s| s as i64)],
        )?;
        Ok(())
    }

    /// Feeds one engine event; `Stopped` finishes the reply, with the text the
    /// engine reports as authoritative.
    pub fn record(&mut self, event: &ChatEvent) -> Result<()> {
        match event {
            ChatEvent::Started { dropped, seed, .. } => self.started(dropped.as_ref(), Some(*seed)),
            ChatEvent::Text { delta } => self.push(delta),
            ChatEvent::Notice { .. } => Ok(()),
            ChatEvent::Usage(usage) => {
                self.usage = Some(usage.clone());
                Ok(())
            }
            ChatEvent::Stopped { reason, text } => {
                self.text.clone_from(text);
                let error = match reason {
                    StopReason::Error { message } | StopReason::Interrupted { message } => Some(message.clone()),
                    _ => None,
                };
                let usage = self.usage.take();
                self.finish(ReplyEnd::from_stop(reason), error, usage)
            }
        }
    }

    /// The final text, status and stats in one transaction.
    pub fn finish(
        &mut self,
        end: ReplyEnd,
        error: Option<String>,
        usage: Option<Usage>,
    ) -> Result<()> {
        if self.finished {
            return Err(StoreError::ReplyFinished);
        }
        let status = match end {
            ReplyEnd::Error => MessageStatus::Error,
            ReplyEnd::Interrupted => MessageStatus::Interrupted,
            _ => MessageStatus::Complete,
        };
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE messages SET content = ?2, status = ?3, reply_end = ?4, error = ?5,
                 prompt_tokens = ?6, completion_tokens = ?7, ttft_ms = ?8, prompt_tok_per_s = ?9, decode_tok_per_s = ?10
             WHERE id = ?1",
            params![
                self.id,
                self.text,
                status_str(status),
                end_str(end),
                error,
                usage.as_ref().map(|u| u.prompt_tokens as i64),
                usage.as_ref().map(|u| u.completion_tokens as i64),
                usage.as_ref().map(|u| finite(u.ttft_ms)),
                usage.as_ref().map(|u| finite(u.prompt_tok_per_s)),
                usage.as_ref().map(|u| finite(u.decode_tok_per_s)),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NoMessage(self.id));
        }
        tx.execute(
            "UPDATE conversations SET updated = ?2 WHERE id = ?1",
            params![self.conversation, now_ms()],
        )?;
        tx.commit()?;
        self.flushed_len = self.text.len();
        self.finished = true;
        Ok(())
    }
}

impl Drop for ReplyWriter {
    fn drop(&mut self) {
        if !self.finished {
            // Nobody is left to hear about a failure here; the next open marks
            // the reply interrupted anyway.
            let usage = self.usage.take();
            let _ = self.finish(ReplyEnd::Interrupted, None, usage);
        }
    }
}
