//! The Fill pane: the model writes the missing middle of the user's code,
//! at the `<FILL>` marker or the caret, and the result shows it in place.

use desk_protocol::FillRequest;
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::state::Ctx;
use crate::complete::run_key;
use crate::hole;
use crate::ipc::copy_text;
use crate::plain::{self, Run};

#[component]
pub fn FillPane() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let input = NodeRef::<Textarea>::new();
    let code = RwSignal::new(String::new());
    // Where the user last put the caret; unknown after the text is replaced by "Use".
    let caret = RwSignal::new(None::<usize>);
    let track = move || {
        if let Some(el) = input.get_untracked() {
            caret.set(el.selection_start().ok().flatten().map(|n| n as usize));
        }
    };
    let prefix = RwSignal::new(String::new());
    let suffix = RwSignal::new(String::new());
    let run = Run::new();
    let problem = RwSignal::new(None::<String>);
    let go = move || match hole::split(&code.get_untracked(), caret.get_untracked()) {
        Err(e) => problem.set(Some(e)),
        Ok((p, s)) => {
            problem.set(None);
            prefix.set(p.clone());
            suffix.set(s.clone());
            let params = ctx.settings.with_untracked(|s| s.params());
            plain::start(ctx, "fill", FillRequest { prefix: p, suffix: s, params }, run);
        }
    };
    let full = move || format!("{}{}{}", prefix.get_untracked(), run.output.get_untracked(), suffix.get_untracked());
    let copied = RwSignal::new(false);
    let error = move || problem.get().or_else(|| run.error.get()).map(|e| view! { <div class="error pane-error" id="fill-error">{e}</div> });
    let has_result = move || run.running.get() || !run.output.with(String::is_empty);
    view! {
        <section class="pane-body fill">
            <p class="hint">"Put "<code class="inline">"<FILL>"</code>" where code is missing (or click there); the model writes the middle. Ctrl+Enter runs."</p>
            <textarea id="fill-input" class="code-input" node_ref=input spellcheck="false"
                placeholder="def is_even(n):\n    <FILL>\n\nprint(is_even(4))"
                prop:value=move || code.get()
                on:input=move |e| {
                    code.set(event_target_value(&e));
                    track();
                }
                on:click=move |_| track()
                on:keyup=move |_| track()
                on:select=move |_| track()
                on:keydown=move |e: web_sys::KeyboardEvent| if run_key(&e) {
                    e.prevent_default();
                    track();
                    go();
                }
            ></textarea>
            <div class="pane-actions">
                <Show when=move || run.running.get()
                    fallback=move || view! { <button id="fill-run" class="primary" disabled=move || ctx.busy.get() on:click=move |_| go()>"Fill"</button> }>
                    <button id="fill-stop" class="danger" on:click=move |_| plain::stop()>"Stop"</button>
                </Show>
                <button id="fill-copy" disabled=move || !has_result() on:click=move |_| {
                    copy_text(&full());
                    copied.set(true);
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                <button id="fill-use" title="Put the filled code back into the editor" disabled=move || !has_result() || run.running.get()
                    on:click=move |_| {
                        code.set(full());
                        caret.set(None);
                    }>"Use"</button>
                <span class="stats" id="fill-stats">{move || run.summary()}</span>
            </div>
            {error}
            <Show when=has_result>
                <pre id="fill-output" class="code result" class:streaming=move || run.running.get()>
                    <span class="prefix">{move || prefix.get()}</span>
                    <mark class="filled">{move || run.output.get()}</mark>
                    <span class="suffix">{move || suffix.get()}</span>
                </pre>
            </Show>
        </section>
    }
}
