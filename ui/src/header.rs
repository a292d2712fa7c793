//! The header: model status, the Chat | Complete | Fill switch, and the
//! context meter with the overflow policy that applies when it fills.

use desk_protocol::{LoadStage, ModelStatus, OverflowPolicy};
use leptos::prelude::*;

use crate::state::Ctx;
use crate::facts::{self, Mode};

#[component]
pub fn Header() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let model = move || match ctx.status.get() {
        ModelStatus::NoModel => view! { <span class="status">"No model"</span> }.into_any(),
        ModelStatus::Loading { .. } => {
            let stage = match ctx.stage.get() {
                Some(LoadStage::LoadingWeights) => "loading weights",
                Some(LoadStage::StartingEngine) => "starting the engine",
                _ => "reading the model",
            };
            view! { <span class="status loading" id="model-loading"><span class="spinner"></span>{format!("Loading model: {stage}…")}</span> }.into_any()
        }
        ModelStatus::Ready { facts, context_limit, load_ms, remote } => {
            let mut parts = vec![facts.file_name.clone()];
            parts.extend(facts.file_type_name.clone().filter(|q| !q.is_empty()));
            parts.push(format!("ctx {context_limit}"));
            match &remote {
                Some(r) => parts.push(format!("on {}", r.url)),
                None => parts.push(format!("loaded in {:.1}s", load_ms as f64 / 1e3)),
            }
            let text = parts.join(" · ");
            let title = text.clone();
            // The server's template is not this app's exact format: say so where the model is named.
            let note = remote.as_ref().and_then(|r| r.note.clone()).map(|n| {
                view! { <span class="badge remote-note" id="remote-note" title=n.clone()>"server's prompt format"</span> }
            });
            let badge = remote.map(|_| view! { <span class="badge remote" id="model-remote">"remote"</span> });
            view! { <span class="status ready" id="model-ready" title=title>{text}{badge}{note}</span> }.into_any()
        }
        ModelStatus::Failed { error, .. } => view! { <span class="status error" id="model-error">{error}</span> }.into_any(),
    };
    view! {
        <header class="top">
            {model}
            <ModeSwitch />
            <span class="context">
                <ContextMeter />
                <PolicyPicker />
            </span>
        </header>
    }
}

/// Modes the loaded model lacks are disabled, with the reason as the tooltip.
#[component]
fn ModeSwitch() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let buttons = Mode::ALL
        .into_iter()
        .map(|mode| {
            // Until a model is ready nothing is known, and requests wait for the load anyway.
            let why = Memo::new(move |_| ctx.loaded_facts().and_then(|f| facts::unavailable(&f, mode)));
            view! {
                <button
                    id=mode.id()
                    class="mode"
                    class:active=move || ctx.mode.get() == mode
                    disabled=move || why.get().is_some()
                    title=move || why.get().unwrap_or_default()
                    on:click=move |_| ctx.mode.set(mode)
                >{mode.label()}</button>
            }
        })
        .collect_view();
    view! { <nav class="modes" role="tablist">{buttons}</nav> }
}

#[component]
fn ContextMeter() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        let s = ctx.session()?;
        let (used, limit) = s.data.with(|d| (d.context_used, d.context_limit));
        (limit > 0).then(|| {
            let pct = (used as f64 / limit as f64 * 100.0).min(100.0);
            let over = used > limit;
            let title = if over {
                format!("{used} context tokens asked for, {limit} fit: the policy beside this decides what is left out")
            } else {
                format!("{used} of {limit} context tokens")
            };
            view! {
                <span class="meter" id="context-meter" class:over=over title=title>
                    <span class="bar" style=format!("width: {pct:.0}%")></span>
                    <span class="label">{format!("{used}/{limit}")}</span>
                </span>
            }
        })
    }
}

pub fn policy_value(p: OverflowPolicy) -> &'static str {
    match p {
        OverflowPolicy::Error => "error",
        OverflowPolicy::DropOldest => "drop",
        OverflowPolicy::RollingWindow => "rolling",
    }
}

pub fn policy_from(value: &str) -> OverflowPolicy {
    match value {
        "error" => OverflowPolicy::Error,
        "rolling" => OverflowPolicy::RollingWindow,
        _ => OverflowPolicy::DropOldest,
    }
}

/// The same setting as in the settings panel, shown where the meter fills up.
#[component]
pub fn PolicyPicker() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let s = ctx.settings;
    view! {
        <label class="policy" title="What happens when the conversation no longer fits the context">
            "When full:"
            <select id="overflow-policy" prop:value=move || policy_value(s.get().policy)
                on:change=move |e| s.update(|x| x.policy = policy_from(&event_target_value(&e)))>
                <option value="drop">"drop oldest"</option>
                <option value="rolling">"rolling window"</option>
                <option value="error">"stop with an error"</option>
            </select>
        </label>
    }
}
