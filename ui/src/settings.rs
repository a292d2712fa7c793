//! The settings panel: sampling, the overflow policy, and the context length
//! with what it costs in memory before it is applied.

use desk_protocol::{FitEstimate, ModelFacts, OverflowPolicy};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{load_model, Ctx};
use crate::facts;
use crate::header::{policy_from, policy_value};
use crate::ipc::invoke;

#[component]
pub fn SettingsPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let s = ctx.settings;
    let num = |e: &leptos::ev::Event| event_target_value(e).parse::<f64>().ok();
    let policy = move |p: OverflowPolicy| move || s.get().policy == p;
    view! {
        <details class="panel settings">
            <summary id="settings-toggle">"Settings"</summary>
            <ContextSetting />
            <DtypeSetting />
            <crate::local_api::LocalApiSetting />
            <crate::run::RunCodeSetting />
            <label>"System prompt"
                <textarea id="system-prompt" prop:value=move || s.get().system on:input=move |e| s.update(|v| v.system = event_target_value(&e))></textarea>
            </label>
            <label>{move || format!("Temperature {:.2}", s.get().temperature)}
                <input type="range" min="0" max="1.5" step="0.05" prop:value=move || s.get().temperature.to_string()
                    on:input=move |e| if let Some(v) = num(&e) { s.update(|x| x.temperature = v as f32) } />
            </label>
            <label>{move || format!("Top-p {:.2}", s.get().top_p)}
                <input type="range" min="0.05" max="1" step="0.05" prop:value=move || s.get().top_p.to_string()
                    on:input=move |e| if let Some(v) = num(&e) { s.update(|x| x.top_p = v as f32) } />
            </label>
            <label>"Max tokens"
                <input id="max-tokens" type="number" min="1" max="32768" prop:value=move || s.get().max_tokens.to_string()
                    on:change=move |e| if let Some(v) = num(&e) { s.update(|x| x.max_tokens = (v as usize).max(1)) } />
            </label>
            <label>"When the context is full"
                <select id="settings-policy" on:change=move |e| s.update(|x| x.policy = policy_from(&event_target_value(&e)))>
                    <option value=policy_value(OverflowPolicy::DropOldest) prop:selected=policy(OverflowPolicy::DropOldest)>"Drop oldest (keep first question)"</option>
                    <option value=policy_value(OverflowPolicy::RollingWindow) prop:selected=policy(OverflowPolicy::RollingWindow)>"Rolling window"</option>
                    <option value=policy_value(OverflowPolicy::Error) prop:selected=policy(OverflowPolicy::Error)>"Stop with an error"</option>
                </select>
            </label>
        </details>
    }
}

/// "KV cache 2.00 GiB · total 6.12 GiB of 22.00 GiB free"
fn cost(fit: &FitEstimate) -> String {
    let mut text = format!("KV cache {} · total {}", facts::bytes(fit.kv_cache_bytes), facts::bytes(fit.total_bytes));
    if let Some(a) = fit.available_bytes {
        text.push_str(&format!(" of {} free", facts::bytes(a)));
    }
    if !fit.fits {
        text.push_str(" — does not fit");
    }
    text
}

/// The context length to load the current model with: the model's own by
/// default, its memory cost shown as it is typed, applied by reloading.
#[component]
fn ContextSetting() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let file = Memo::new(move |_| ctx.model_file_facts());
    // What is typed; `None` shows the context in use (or the model's own).
    let draft = RwSignal::new(None::<String>);
    // A new model starts from its own context again.
    Effect::new(move |_| {
        file.track();
        draft.set(None);
    });
    let shown = move || draft.get().unwrap_or_else(|| file.get().map(|f| ctx.context.get().unwrap_or_else(|| facts::own_context(&f)).to_string()).unwrap_or_default());
    let parsed = Memo::new(move |_| file.get().map(|f| facts::parse_context(&f, &shown())));
    let estimate = RwSignal::new(None::<Result<FitEstimate, String>>);
    let asked = RwSignal::new(0u64);
    Effect::new(move |_| {
        let (Some(f), Some(Ok(n))) = (file.get(), parsed.get()) else {
            estimate.set(None);
            return;
        };
        let seq = asked.get_untracked() + 1;
        asked.set(seq);
        spawn_local(async move {
            let result = fit_at(&f, n).await;
            // A slower answer for an older value must not overwrite a newer one.
            if asked.get_untracked() == seq {
                estimate.set(Some(result));
            }
        });
    });
    let warning = move || {
        let f: ModelFacts = file.get()?;
        let n = parsed.get()?.ok()?;
        facts::long_context_warning(&f, n).map(|w| view! { <div class="warning" id="context-warning" role="alert">{w}</div> })
    };
    let status = move || match (parsed.get(), estimate.get()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <div class="error" id="context-error">{e}</div> }.into_any(),
        (Some(Ok(_)), Some(Ok(fit))) => view! { <div class="cost" class:no-fit=!fit.fits id="context-cost">{cost(&fit)}</div> }.into_any(),
        _ => ().into_any(),
    };
    let cap = move || file.get().map(|f| facts::context_cap(&f).to_string()).unwrap_or_default();
    let apply = move |_| {
        let Some(Ok(n)) = parsed.get_untracked() else { return };
        let Some(path) = ctx.model_path() else { return };
        load_model(ctx, Some(path), Some(n), false);
        draft.set(None);
    };
    let loading = move || matches!(ctx.status.get(), desk_protocol::ModelStatus::Loading { .. });
    view! {
        <div class="context-setting">
            <label>{move || format!("Context length (tokens, up to {})", cap())}
                <input id="context-input" type="number" min=facts::MIN_CONTEXT max=cap step="1024"
                    disabled=move || file.get().is_none()
                    prop:value=shown
                    on:input=move |e| draft.set(Some(event_target_value(&e))) />
            </label>
            {status}
            {warning}
            <button id="context-apply" class="small"
                disabled=move || !matches!(parsed.get(), Some(Ok(_))) || ctx.busy.get() || loading()
                title="Reload the model with this context"
                on:click=apply>"Apply (reload model)"</button>
        </div>
    }
}

/// The activation dtype, applied by reloading the model. f32 is the CPU
/// default: faster there than bf16 and what llama.cpp computes in.
#[component]
fn DtypeSetting() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let choice = RwSignal::new("auto".to_string());
    let change = move |value: String| {
        choice.set(value.clone());
        spawn_local(async move {
            #[derive(serde::Serialize)]
            struct Args {
                dtype: String,
            }
            if let Err(e) = invoke::<()>("set_activations", &Args { dtype: value }, &[]).await {
                leptos::logging::warn!("{e}");
                return;
            }
            if let Some(path) = ctx.model_path() {
                load_model(ctx, Some(path), ctx.context.get_untracked(), false);
            }
        });
    };
    let option = move |value: &'static str, label: &'static str| {
        view! { <option value=value prop:selected=move || choice.get() == value>{label}</option> }
    };
    view! {
        <label>"Activations (reloads the model)"
            <select id="settings-dtype" disabled=move || ctx.busy.get() on:change=move |e| change(event_target_value(&e))>
                {option("auto", "Auto (f32 on CPU)")}
                {option("f32", "f32")}
                {option("bf16", "bf16")}
                {option("f16", "f16")}
            </select>
        </label>
    }
}

async fn fit_at(f: &ModelFacts, context: usize) -> Result<FitEstimate, String> {
    #[derive(serde::Serialize)]
    struct Args {
        path: String,
        context: Option<usize>,
    }
    invoke::<FitEstimate>("estimate_fit", &Args { path: f.path.clone(), context: Some(context) }, &[]).await
}
