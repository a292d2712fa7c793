//! The chat composer, with a live count of what the next prompt will take, and
//! the stable part of that prompt computed ahead while the user types.

use desk_protocol::{Conversation, Message, ModelStatus, Prefill};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::attach::{add_files, compose, Attachments};
use crate::chat::send_text;
use crate::state::Ctx;
use crate::ipc::{invoke, Channel};

/// Counting waits for a pause in typing: a pasted file is tokenized once, not per key.
const COUNT_AFTER_MS: u64 = 300;
/// A draft unchanged this long is prefilled (the shell stops an older prefill).
const PREFILL_AFTER_MS: u64 = 500;

#[component]
pub fn Composer() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let text = RwSignal::new(String::new());
    let tokens = RwSignal::new(None::<usize>);
    let typed = RwSignal::new(0u64);
    let prefill = RwSignal::new(None::<Prefill>);
    let attachments = RwSignal::new(Vec::<desk_protocol::Attachment>::new());
    let attach_error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    // What Send sends: the attached files' blocks, then the typed text.
    let draft = move || attachments.with_untracked(|a| compose(a, &text.get_untracked()));
    let send = move || {
        let t = draft();
        if !t.trim().is_empty() && !ctx.busy.get_untracked() {
            text.set(String::new());
            attachments.set(Vec::new());
            attach_error.set(None);
            // A count still pending for the sent text must not come back for the empty composer.
            typed.update(|n| *n += 1);
            tokens.set(None);
            prefill.set(None);
            send_text(ctx, t);
        }
    };
    let recount = move || {
        let empty = draft().trim().is_empty();
        let seq = typed.get_untracked() + 1;
        typed.set(seq);
        if empty {
            tokens.set(None);
            prefill.set(None);
            return;
        }
        set_timeout(
            move || {
                if typed.get_untracked() == seq {
                    count_prompt(ctx, draft(), move |n| {
                        if typed.get_untracked() == seq {
                            tokens.set(Some(n));
                        }
                    });
                }
            },
            std::time::Duration::from_millis(COUNT_AFTER_MS),
        );
        set_timeout(
            move || {
                if typed.get_untracked() == seq && !ctx.busy.get_untracked() {
                    prefill_draft(ctx, draft(), move |p| {
                        if typed.get_untracked() == seq {
                            prefill.set(Some(p));
                        }
                    });
                }
            },
            std::time::Duration::from_millis(PREFILL_AFTER_MS),
        );
    };
    let on_input = move |value: String| {
        text.set(value);
        recount();
    };
    // An attached or removed file changes the count like typing does.
    Effect::new(move |first: Option<()>| {
        attachments.track();
        if first.is_some() {
            recount();
        }
    });
    let ready = move || {
        let p = prefill.get().filter(|p| p.total > 0)?;
        let label = if p.ready >= p.total { format!("{} tokens ready", p.total) } else { format!("{} of {} tokens ready", p.ready, p.total) };
        Some(view! { <span id="composer-prefill" class="prefill" title="Computed while you type: after Enter only the rest is processed">{label}</span> })
    };
    let queued = move || matches!(ctx.status.get(), ModelStatus::Loading { .. }) && ctx.busy.get();
    let count = move || {
        let n = tokens.get()?;
        let limit = match ctx.status.get() {
            ModelStatus::Ready { context_limit, .. } => Some(context_limit),
            _ => None,
        };
        let over = limit.is_some_and(|l| n > l);
        let label = match limit {
            Some(l) if n > l => format!("{n} tokens: more than the {l}-token context"),
            Some(l) => format!("{n} of {l} tokens"),
            None => format!("{n} tokens"),
        };
        Some(view! { <span id="composer-tokens" class="tokens" class:over=over title="The conversation so far plus this message">{label}</span> })
    };
    view! {
        <footer class="composer" class:dragging=move || dragging.get()
            on:dragover=move |e: web_sys::DragEvent| {
                e.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |e: web_sys::DragEvent| {
                e.prevent_default();
                dragging.set(false);
                add_files(e.data_transfer().and_then(|d| d.files()), attachments, attach_error);
            }
        >
            <Attachments list=attachments error=attach_error />
            <textarea
                id="composer"
                node_ref=ctx.composer
                placeholder="Ask about code — paste a snippet, Enter to send, Shift+Enter for a new line"
                prop:value=move || text.get()
                on:input=move |e| on_input(event_target_value(&e))
                on:keydown=move |e: web_sys::KeyboardEvent| {
                    if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                        e.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <div class="actions">
                {count}
                {ready}
                {move || queued().then(|| view! { <span class="queued">"Queued until the model is loaded"</span> })}
                <Show
                    when=move || ctx.busy.get()
                    fallback=move || view! { <button id="send" class="primary" on:click=move |_| send()>"Send"</button> }
                >
                    <button id="stop" class="danger" on:click=move |_| spawn_local(async move {
                        let _ = invoke::<bool>("stop", &(), &[]).await;
                    })>"Stop"</button>
                </Show>
            </div>
        </footer>
    }
}

/// Tokens of the visible branch plus `draft` as the next question.
fn count_prompt(ctx: Ctx, draft: String, done: impl FnOnce(usize) + 'static) {
    let Some(session) = ctx.session_untracked() else { return };
    let system = ctx.settings.with_untracked(|s| (!s.system.trim().is_empty()).then(|| s.system.clone()));
    let mut conversation: Conversation = session.data.with_untracked(|d| d.tree.conversation(system, d.tree.last()));
    conversation.messages.push(Message::user(draft));
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            conversation: Conversation,
        }
        if let Ok(n) = invoke::<usize>("count_tokens", &Args { conversation }, &[]).await {
            done(n);
        }
    });
}

/// Compute, while the user types, the prompt the draft will become as far as
/// it is stable; `progress` gets each step.
fn prefill_draft(ctx: Ctx, draft: String, progress: impl FnMut(Prefill) + 'static) {
    let Some(session) = ctx.session_untracked() else { return };
    if !matches!(ctx.status.get_untracked(), ModelStatus::Ready { .. }) {
        return;
    }
    let system = ctx.settings.with_untracked(|s| (!s.system.trim().is_empty()).then(|| s.system.clone()));
    let conversation: Conversation = session.data.with_untracked(|d| d.tree.conversation(system, d.tree.last()));
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            conversation: Conversation,
            draft: String,
        }
        let Ok(channel) = Channel::new(progress) else { return };
        if let Err(e) = invoke::<Prefill>("prefill", &Args { conversation, draft }, &[("onProgress", &channel)]).await {
            leptos::logging::warn!("prefill failed: {e}");
        }
        drop(channel);
    });
}
