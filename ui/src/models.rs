//! The model picker: every GGUF found, with what it is, what it can do and
//! whether it fits; loading one that does not fit asks first. Models in the
//! library folder can be removed (after a confirm); below the list, getting
//! new ones: the Code Llama catalogue and importing a GGUF.

use desk_protocol::{ModelEntry, ModelFacts, ModelStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use crate::state::{load_model, Ctx};
use crate::catalog;
use crate::facts::{self, Mode};
use crate::ipc::invoke;
use crate::library::{GetCodeLlama, ImportGguf};

/// What the picker is asking about or showing, shared by every card.
#[derive(Clone, Copy)]
struct Asks {
    /// The path whose "does not fit" warning is showing.
    load: RwSignal<Option<String>>,
    /// The path whose removal is being confirmed.
    remove: RwSignal<Option<String>>,
    /// The last removal that failed: (path, message).
    remove_error: RwSignal<Option<(String, String)>>,
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let asks = Asks { load: RwSignal::new(None), remove: RwSignal::new(None), remove_error: RwSignal::new(None) };
    let cards = move || ctx.models.get().into_iter().map(|m| model_card(ctx, m, asks)).collect_view();
    view! {
        <section class="panel models">
            <h3>"Models" <button class="small" on:click=move |_| ctx.refresh_models() title="Rescan the models folders">"↻"</button></h3>
            <ul class="model-list" id="model-list">{cards}</ul>
            <GetCodeLlama />
            <ImportGguf />
            <crate::remote::RemoteServer />
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

fn model_card(ctx: Ctx, m: ModelEntry, asks: Asks) -> AnyView {
    let confirming = asks.load;
    let file = m.file_name.clone();
    let in_library = catalog::in_library(&m.path);
    let badge = move || in_library.then(|| view! { <span class="badge present">"in library"</span> });
    let remove = in_library.then(|| remove_controls(ctx, &m, asks));
    let Some(f) = m.facts.clone() else {
        let why = format!("{}: {}", m.file_name, m.error.clone().unwrap_or_else(|| "cannot be used".into()));
        return view! {
            <li class="model-card unusable" data-file=file>
                <div class="model-name">{m.file_name.clone()}{badge()}</div>
                <div class="model-problem">{why}</div>
                <div class="card-actions">{remove}</div>
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
            load_model(ctx, Some(load_path.clone()), None, false);
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
            <div class="model-name">{m.file_name.clone()}{badge()}</div>
            <div class="model-facts">{summary(&f)}</div>
            {kind}
            <div class="model-modes">{modes}</div>
            {fit_text.map(|t| view! { <div class="model-fit" class:no-fit=!fits>{t}</div> })}
            <div class="card-actions">
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
                                load_model(ctx, Some(p.clone()), None, true);
                            }
                        }>"Load anyway"</button>
                        <button class="cancel small" on:click=move |_| confirming.set(None)>"Cancel"</button>
                    </div>
                </Show>
                {remove}
            </div>
        </li>
    }
    .into_any()
}

/// Remove, asking first, for a model in the library folder (the caller
/// offers it for nothing else: the project's own `models/` is never deleted).
fn remove_controls(ctx: Ctx, m: &ModelEntry, asks: Asks) -> AnyView {
    let (file, path) = (m.file_name.clone(), m.path.clone());
    let this = path.clone();
    let asking = move || asks.remove.get().as_deref() == Some(this.as_str());
    // The model in use stays: its file is what the running engine was loaded from.
    let this = path.clone();
    let in_use = move || match ctx.status.get() {
        ModelStatus::Ready { facts, .. } => facts.path == this,
        ModelStatus::Loading { path } => path == this,
        _ => false,
    };
    let this = path.clone();
    let error = move || {
        asks.remove_error.get().filter(|(p, _)| *p == this).map(|(_, e)| view! { <div class="error remove-error" role="alert">{e}</div> })
    };
    let ask_path = path.clone();
    let (yes_file, yes_path) = (file.clone(), path);
    view! {
        <Show when=asking.clone()
            fallback=move || {
                let p = ask_path.clone();
                let in_use = in_use.clone();
                let title = in_use.clone();
                view! {
                    <button class="remove small" disabled=in_use
                        title=move || if title() { "Load another model before removing this one" } else { "Delete from the library" }
                        on:click=move |_| asks.remove.set(Some(p.clone()))>"Remove"</button>
                }
            }>
            <div class="confirm remove-confirm" role="alertdialog">
                <p>{format!("Delete {file} from the library? A linked model loses only its link; the file it points to stays.")}</p>
                <button class="remove-yes small danger" on:click={
                    let (f, p) = (yes_file.clone(), yes_path.clone());
                    move |_| remove(ctx, f.clone(), p.clone(), asks)
                }>"Remove"</button>
                <button class="remove-no small" on:click=move |_| asks.remove.set(None)>"Cancel"</button>
            </div>
        </Show>
        {error}
    }
    .into_any()
}

fn remove(ctx: Ctx, file_name: String, path: String, asks: Asks) {
    asks.remove.set(None);
    spawn_local(async move {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Args {
            file_name: String,
        }
        match invoke::<()>("remove_model", &Args { file_name }, &[]).await {
            Ok(()) => asks.remove_error.set(None),
            Err(e) => asks.remove_error.set(Some((path, e))),
        }
        ctx.refresh_models();
    });
}
