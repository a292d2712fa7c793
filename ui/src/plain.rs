//! Completion and fill runs: plain text streamed from a shell command into
//! signals, shared by the Complete and Fill panes.

use desk_protocol::{ChatEvent, ReplyUpdate, StopReason, Usage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use crate::state::Ctx;
use crate::ipc::{invoke, Channel};

/// One pane's run: what was generated and how it ended.
#[derive(Clone, Copy)]
pub struct Run {
    pub output: RwSignal<String>,
    pub running: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub reason: RwSignal<Option<StopReason>>,
    pub usage: RwSignal<Option<Usage>>,
}

impl Run {
    pub fn new() -> Self {
        Self {
            output: RwSignal::new(String::new()),
            running: RwSignal::new(false),
            error: RwSignal::new(None),
            reason: RwSignal::new(None),
            usage: RwSignal::new(None),
        }
    }

    /// "stopped · 12 tokens · 41.0 tok/s" for the finished run.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.reason.get() {
            Some(StopReason::Cancelled) => parts.push("stopped".to_string()),
            Some(StopReason::MaxTokens) => parts.push("hit max tokens".to_string()),
            _ => {}
        }
        if let Some(u) = self.usage.get() {
            parts.push(format!("{} tokens", u.completion_tokens));
            if u.decode_tok_per_s > 0.0 {
                parts.push(format!("{:.1} tok/s", u.decode_tok_per_s));
            }
        }
        parts.join(" · ")
    }

    fn on_event(&self, event: ChatEvent) {
        match event {
            ChatEvent::Started { .. } => {}
            ChatEvent::Notice { message } => self.error.set(Some(message)),
            ChatEvent::Text { delta } => self.output.update(|o| o.push_str(&delta)),
            ChatEvent::Usage(u) => self.usage.set(Some(u)),
            ChatEvent::Stopped { reason, text } => {
                self.output.set(text);
                match &reason {
                    StopReason::Error { message } => self.error.set(Some(message.clone())),
                    StopReason::Interrupted { message } => self.error.set(Some(format!("interrupted: {message}"))),
                    _ => self.error.set(None),
                }
                self.reason.set(Some(reason));
            }
        }
    }
}

/// Run `command` (`complete` or `fill`) with `request`, streaming into `run`.
pub fn start<R: Serialize + 'static>(ctx: Ctx, command: &'static str, request: R, run: Run) {
    if ctx.busy.get_untracked() {
        return;
    }
    run.output.set(String::new());
    run.error.set(None);
    run.reason.set(None);
    run.usage.set(None);
    run.running.set(true);
    ctx.busy.set(true);
    let channel = Channel::new(move |update: ReplyUpdate| run.on_event(update.event));
    spawn_local(async move {
        #[derive(Serialize)]
        struct Args<R> {
            request: R,
        }
        let result = match &channel {
            Ok(ch) => invoke::<()>(command, &Args { request }, &[("onEvent", ch)]).await,
            Err(e) => Err(e.clone()),
        };
        // The channel's callback must live until the shell is done sending.
        drop(channel);
        if let Err(e) = result {
            run.error.set(Some(e));
        }
        run.running.set(false);
        ctx.busy.set(false);
    });
}

pub fn stop() {
    spawn_local(async move {
        let _ = invoke::<bool>("stop", &(), &[]).await;
    });
}
