//! The Complete pane: the model continues the user's code, and the
//! continuation is shown after it, marked as generated.

use desk_protocol::CompleteRequest;
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::state::Ctx;
use crate::ipc::copy_text;
use crate::plain::{self, Run};

pub fn run_key(e: &web_sys::KeyboardEvent) -> bool {
    e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) && !e.is_composing()
}

#[component]
pub fn CompletePane() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let input = NodeRef::<Textarea>::new();
    let text = RwSignal::new(String::new());
    // The text as it was when the run started: the continuation follows it, not later edits.
    let given = RwSignal::new(String::new());
    let run = Run::new();
    let problem = RwSignal::new(None::<String>);
    let go = move || {
        let t = text.get_untracked();
        if t.trim().is_empty() {
            problem.set(Some("Type or paste some code for the model to continue".into()));
            return;
        }
        problem.set(None);
        given.set(t.clone());
        let params = ctx.settings.with_untracked(|s| s.params());
        plain::start(ctx, "complete", CompleteRequest { text: t, params }, run);
    };
    let copied = RwSignal::new(false);
    let error = move || problem.get().or_else(|| run.error.get()).map(|e| view! { <div class="error pane-error" id="complete-error">{e}</div> });
    let has_result = move || run.running.get() || !run.output.with(String::is_empty);
    view! {
        <section class="pane-body complete">
            <p class="hint">"The model continues your code or text from where it ends. Ctrl+Enter runs."</p>
            <textarea id="complete-input" class="code-input" node_ref=input spellcheck="false"
                placeholder="def add(a, b):"
                prop:value=move || text.get()
                on:input=move |e| text.set(event_target_value(&e))
                on:keydown=move |e: web_sys::KeyboardEvent| if run_key(&e) {
                    e.prevent_default();
                    go();
                }
            ></textarea>
            <div class="pane-actions">
                <Show when=move || run.running.get()
                    fallback=move || view! { <button id="complete-run" class="primary" disabled=move || ctx.busy.get() on:click=move |_| go()>"Continue"</button> }>
                    <button id="complete-stop" class="danger" on:click=move |_| plain::stop()>"Stop"</button>
                </Show>
                <button id="complete-copy" disabled=move || !has_result() on:click=move |_| {
                    copy_text(&format!("{}{}", given.get_untracked(), run.output.get_untracked()));
                    copied.set(true);
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                <span class="stats" id="complete-stats">{move || run.summary()}</span>
            </div>
            {error}
            <Show when=has_result>
                <pre id="complete-output" class="code result" class:streaming=move || run.running.get()>
                    <span class="given">{move || given.get()}</span>
                    <mark class="generated">{move || run.output.get()}</mark>
                </pre>
            </Show>
        </section>
    }
}
