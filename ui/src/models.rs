//! The model picker: every GGUF found, with what it is, what it can do and
//! whether it fits; loading one that does not fit asks first.

use desk_protocol::{ModelEntry, ModelFacts, ModelStatus};
use leptos::prelude::*;

use crate::app::{load_model, Ctx};
use crate::facts::{self, Mode};

#[component]
pub fn ModelPicker() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The path whose "does not fit" warning is showing.
    let confirming = RwSignal::new(None::<String>);
    let cards = move || ctx.models.get().into_iter().map(|m| model_card(ctx, m, confirming)).collect_view();
    view! {
        <section class="panel models">
            <h3>"Models" <button class="small" on:click=move |_| ctx.refresh_models() title="Rescan the models folder">"↻"</button></h3>
            <ul class="model-list" id="model-list">{cards}</ul>
        </section>
    }
}

/// "88 MiB · Q4_1 · 135M params · ctx 8192"
fn summary(f: &ModelFacts) -> String {
    let mut parts = vec![facts::bytes(f.file_size)];
    parts.extend(f.file_type_name.clone());
    let p = facts::params(f.parameter_count);
    if !p.is_empty() {
        parts.push(p);
    }
    parts.push(f.context_length.map_or("ctx ?".into(), |c| format!("ctx {c}")));
    parts.join(" · ")
}

fn model_card(ctx: Ctx, m: ModelEntry, confirming: RwSignal<Option<String>>) -> AnyView {
    let file = m.file_name.clone();
    let Some(f) = m.facts.clone() else {
        let why = format!("{}: {}", m.file_name, m.error.clone().unwrap_or_else(|| "cannot be used".into()));
        return view! {
            <li class="model-card unusable" data-file=file>
                <div class="model-name">{m.file_name.clone()}</div>
                <div class="model-problem">{why}</div>
            </li>
        }
        .into_any();
    };
    let path = m.path.clone();
    let fits = m.fit.is_none_or(|x| x.fits);
    let fit_text = m.fit.as_ref().map(facts::fit);
    let modes = Mode::ALL
        .into_iter()
        .map(|mode| {
            let on = facts::supports(&f, mode);
            let title = facts::unavailable(&f, mode).unwrap_or_default();
            view! { <span class="mode-badge" class:off=!on title=title>{mode.label()}</span> }
        })
        .collect_view();
    let kind = f.code_llama.as_ref().map(|c| view! { <div class="model-kind">{facts::flavour(c)}</div> });
    let this = path.clone();
    let state = move || match ctx.status.get() {
        ModelStatus::Ready { facts, .. } if facts.path == this => "loaded",
        ModelStatus::Loading { path } if path == this => "loading",
        _ => "",
    };
    let load_path = path.clone();
    let load = move |_| {
        if fits {
            load_model(ctx, Some(load_path.clone()), None);
        } else {
            confirming.set(Some(load_path.clone()));
        }
    };
    let confirm_path = path.clone();
    let asking = move || confirming.get().as_deref() == Some(confirm_path.as_str());
    let anyway_path = path.clone();
    let need = m.fit.as_ref().map(|x| {
        let have = x.available_bytes.map_or("unknown".into(), facts::bytes);
        format!("It needs {} but {have} is available: loading may fail or make the machine swap.", facts::bytes(x.total_bytes))
    });
    let current = state.clone();
    view! {
        <li class="model-card" class:current=move || !current().is_empty() data-file=file>
            <div class="model-name">{m.file_name.clone()}</div>
            <div class="model-facts">{summary(&f)}</div>
            {kind}
            <div class="model-modes">{modes}</div>
            {fit_text.map(|t| view! { <div class="model-fit" class:no-fit=!fits>{t}</div> })}
            <Show when=asking.clone()
                fallback=move || {
                    let shown = state.clone();
                    let label = move || match shown() {
                        "loaded" => "Loaded",
                        "loading" => "Loading…",
                        _ => "Load",
                    };
                    let load = load.clone();
                    let state = state.clone();
                    view! {
                        <button class="load small" disabled=move || ctx.busy.get() || !state().is_empty() on:click=load>{label}</button>
                    }
                }>
                <div class="confirm" role="alertdialog">
                    <p>{need.clone()}</p>
                    <button class="load-anyway small danger" on:click={
                        let p = anyway_path.clone();
                        move |_| {
                            confirming.set(None);
                            load_model(ctx, Some(p.clone()), None);
                        }
                    }>"Load anyway"</button>
                    <button class="cancel small" on:click=move |_| confirming.set(None)>"Cancel"</button>
                </div>
            </Show>
        </li>
    }
    .into_any()
}
