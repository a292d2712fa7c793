//! Run a reply's Python block in the sandbox, its output streamed under the
//! block; and the setting that allows it (off until the user turns it on).

use desk_protocol::{OutputStream, RunEnd, RunEvent, RunSettings};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::{invoke, Channel};
use crate::state::Ctx;

fn end_text(end: &RunEnd) -> String {
    let secs = end.duration_ms as f64 / 1000.0;
    let what = if end.stopped {
        "stopped".to_string()
    } else if end.timed_out {
        "timed out".to_string()
    } else if let Some(b) = &end.blocked {
        format!("blocked by the sandbox: {b}")
    } else if end.output_cut {
        "output over 1 MiB: stopped".to_string()
    } else {
        match end.exit_code {
            Some(code) => format!("exit {code}"),
            None => "killed".to_string(),
        }
    };
    format!("{what} · {secs:.2} s")
}

/// Below a Python block in a reply: Run / Stop, then what it printed.
#[component]
pub fn RunPanel(source: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let output = RwSignal::new(Vec::<(OutputStream, String)>::new());
    let running = RwSignal::new(false);
    let status = RwSignal::new(None::<Result<String, String>>);
    let source = StoredValue::new(source);
    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let code = source.get_value();
        output.set(Vec::new());
        status.set(None);
        running.set(true);
        spawn_local(async move {
            let channel = Channel::new(move |e: RunEvent| {
                if let RunEvent::Output { stream, text } = e {
                    output.update(|o| match o.last_mut() {
                        Some((s, t)) if *s == stream => t.push_str(&text),
                        _ => o.push((stream, text)),
                    });
                }
            });
            #[derive(serde::Serialize)]
            struct Args {
                code: String,
            }
            let result = match &channel {
                Ok(ch) => invoke::<RunEnd>("run_code", &Args { code }, &[("onEvent", ch)]).await,
                Err(e) => Err(e.clone()),
            };
            drop(channel);
            status.set(Some(result.map(|end| end_text(&end))));
            running.set(false);
        });
    };
    let stop = move |_| {
        spawn_local(async move {
            let _ = invoke::<bool>("stop_code", &(), &[]).await;
        })
    };
    let shown = move || running.get() || status.get().is_some();
    view! {
        <Show when=move || ctx.run_enabled.get()>
            <div class="run-bar">
                <Show when=move || running.get() fallback=move || view! { <button class="run" on:click=run>"Run"</button> }>
                    <button class="run-stop danger" on:click=stop>"Stop"</button>
                    <span class="run-status">"running…"</span>
                </Show>
                {move || status.get().map(|s| match s {
                    Ok(t) => view! { <span class="run-status run-done">{t}</span> }.into_any(),
                    Err(e) => view! { <span class="run-status error">{e}</span> }.into_any(),
                })}
            </div>
            <Show when=shown>
                <pre class="run-output">
                    {move || output.get().into_iter().map(|(s, t)| {
                        let class = if s == OutputStream::Stderr { "stderr" } else { "stdout" };
                        view! { <span class=class>{t}</span> }
                    }).collect_view()}
                </pre>
            </Show>
        </Show>
    }
}

/// Settings → Run code.
#[component]
pub fn RunCodeSetting() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let settings = RwSignal::new(None::<RunSettings>);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        if let Ok(s) = invoke::<RunSettings>("run_settings", &(), &[]).await {
            ctx.run_enabled.set(s.enabled);
            settings.set(Some(s));
        }
    });
    let toggle = move |on: bool| {
        spawn_local(async move {
            #[derive(serde::Serialize)]
            struct Args {
                on: bool,
            }
            match invoke::<RunSettings>("set_run_code", &Args { on }, &[]).await {
                Ok(s) => {
                    ctx.run_enabled.set(s.enabled);
                    settings.set(Some(s));
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let about = move || match settings.get() {
        Some(RunSettings { limits: Some(l), .. }) => format!("Adds Run to Python blocks in replies. They run on this computer in a sandbox: {l}."),
        Some(RunSettings { problem: Some(p), .. }) => p,
        _ => String::new(),
    };
    view! {
        <div class="run-setting">
            <label class="check">
                <input id="run-code-toggle" type="checkbox" prop:checked=move || ctx.run_enabled.get()
                    on:change=move |e| toggle(event_target_checked(&e)) />
                "Run code blocks"
            </label>
            <div id="run-code-limits" class="hint">{about}</div>
            {move || error.get().map(|e| view! { <div class="error">{e}</div> })}
        </div>
    }
}
