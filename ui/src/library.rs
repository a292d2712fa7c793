//! Getting models into the library: the Code Llama catalogue, downloaded one
//! file at a time with progress, cancel and resume, and importing a GGUF from
//! a path. Nothing here reaches the network until Download is clicked: the
//! catalogue is the shell's built-in list.

use desk_protocol::{CatalogEntry, ModelEntry, PullProgress};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use crate::state::Ctx;
use crate::catalog::{self, Filter, PullProblem};
use crate::ipc::{invoke, Channel};

/// The download running now (the shell runs one at a time) and how the last one ended.
#[derive(Clone, Copy)]
struct Pulls {
    running: RwSignal<Option<Running>>,
    /// The running download's catalogue name: rows and the progress box
    /// follow this, not every progress report.
    active: Memo<Option<String>>,
    cancelling: RwSignal<bool>,
    outcome: RwSignal<Option<Outcome>>,
}

#[derive(Clone, PartialEq)]
struct Running {
    name: String,
    file: String,
    progress: PullProgress,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    Done { file: String },
    Failed { file: String, error: String, problem: PullProblem },
}

#[component]
pub fn GetCodeLlama() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let entries = RwSignal::new(Vec::<CatalogEntry>::new());
    // Re-read with every models list, so "in library" follows downloads, imports and removals.
    Effect::new(move |_| {
        ctx.models.track();
        spawn_local(async move {
            match invoke::<Vec<CatalogEntry>>("catalog", &(), &[]).await {
                Ok(list) => entries.set(list),
                Err(e) => leptos::logging::warn!("cannot read the catalogue: {e}"),
            }
        });
    });
    let filter = RwSignal::new(Filter::suggested());
    let running = RwSignal::new(None::<Running>);
    let pulls = Pulls {
        running,
        active: Memo::new(move |_| running.with(|r| r.as_ref().map(|r| r.name.clone()))),
        cancelling: RwSignal::new(false),
        outcome: RwSignal::new(None),
    };
    let shown = move || entries.with(|all| all.iter().filter(|e| filter.with(|f| f.matches(e))).cloned().collect::<Vec<_>>());
    let nothing = move || {
        (entries.with(|e| !e.is_empty()) && shown().is_empty()).then(|| view! { <p class="hint">"No file matches these filters."</p> })
    };
    // The summary shows the percentage, so a download stays visible when the section is closed.
    let summary_progress = move || running.with(|r| r.as_ref().map(|r| format!(" · {}%", catalog::percent(&r.progress))));
    view! {
        <details class="library" id="get-code-llama">
            <summary>"Get Code Llama"{summary_progress}</summary>
            <Filters entries filter />
            <PullStatus pulls />
            <ul class="catalog" id="catalog">
                <For each=shown key=|e| (e.name.clone(), e.present) children=move |e| entry_row(ctx, e, pulls) />
            </ul>
            {nothing}
        </details>
    }
}

/// Size, kind and quantisation as rows of toggle chips: three short rows fit
/// the sidebar where three dropdowns would clip their own labels.
#[component]
fn Filters(entries: RwSignal<Vec<CatalogEntry>>, filter: RwSignal<Filter>) -> impl IntoView {
    let sizes = move || entries.with(|e| catalog::choices(e, |x| x.size_b)).into_iter().map(|s| (s.to_string(), format!("{s}B"))).collect::<Vec<_>>();
    let size = move || filter.with(|f| f.size_b.map(|s| s.to_string()).unwrap_or_default());
    let pick_size = move |v: String| filter.update(|f| f.size_b = v.parse().ok());
    let kinds = move || {
        entries
            .with(|e| catalog::choices(e, |x| x.flavour))
            .into_iter()
            .map(|k| (catalog::flavour_value(k).to_string(), catalog::flavour_label(k).to_string()))
            .collect::<Vec<_>>()
    };
    let kind = move || filter.with(|f| f.flavour.map(|k| catalog::flavour_value(k).to_string()).unwrap_or_default());
    let pick_kind = move |v: String| filter.update(|f| f.flavour = catalog::flavour_from(&v));
    let quants = move || entries.with(|e| catalog::choices(e, |x| x.quant.clone())).into_iter().map(|q| (q.clone(), q)).collect::<Vec<_>>();
    let quant = move || filter.with(|f| f.quant.clone().unwrap_or_default());
    let pick_quant = move |v: String| filter.update(|f| f.quant = Some(v).filter(|q| !q.is_empty()));
    view! {
        <div class="catalog-filters">
            {chips("catalog-size", "Parameters", sizes, size, pick_size)}
            {chips("catalog-flavour", "Training", kinds, kind, pick_kind)}
            {chips("catalog-quant", "Quantisation", quants, quant, pick_quant)}
        </div>
    }
}

/// One row of chips, "All" first; each chip's `data-value` is what it picks ("" = all).
fn chips(
    id: &'static str,
    label: &'static str,
    options: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    selected: impl Fn() -> String + Copy + Send + Sync + 'static,
    pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let buttons = move || {
        std::iter::once((String::new(), "All".to_string()))
            .chain(options())
            .map(|(value, text)| {
                let this = value.clone();
                let on = move || selected() == this;
                let pressed = on.clone();
                let picked = value.clone();
                view! {
                    <button class="chip" class:on=on aria-pressed=move || pressed().to_string() data-value=value
                        on:click=move |_| pick(picked.clone())>{text}</button>
                }
            })
            .collect_view()
    };
    view! { <div class="chips" id=id role="group" aria-label=label title=label>{buttons}</div> }
}

fn entry_row(ctx: Ctx, e: CatalogEntry, pulls: Pulls) -> impl IntoView {
    let this = e.name.clone();
    let mine = move || pulls.active.with(|a| a.as_deref() == Some(this.as_str()));
    let busy = move || pulls.active.with(Option::is_some);
    let infill = e.infill.then(|| view! { <span class="badge infill" title="Trained to fill a hole in code (Fill mode)">"infill"</span> });
    let present = e.present.then(|| view! { <span class="badge present">"in library"</span> });
    let download = (!e.present).then(|| {
        let entry = e.clone();
        let label = mine.clone();
        let title = move || if busy() { "One download at a time" } else { "Download into the library (resumable, SHA-256 checked)" };
        view! {
            <button class="download small" disabled=busy title=title on:click=move |_| start(ctx, pulls, entry.clone())>
                {move || if label() { "Downloading…" } else { "Download" }}
            </button>
        }
    });
    view! {
        <li class="catalog-entry" class:active=mine data-name=e.name.clone() data-file=e.file.clone()>
            <div class="catalog-title">{catalog::title(&e)}" "<span class="quant">{e.quant.clone()}</span></div>
            <div class="catalog-facts">
                <span class="size" title="From the model card; the exact size comes from the hub">{catalog::approx_size(&e)}</span>
                {infill}
                {present}
            </div>
            {download}
        </li>
    }
}

fn start(ctx: Ctx, pulls: Pulls, entry: CatalogEntry) {
    let Pulls { running, cancelling, outcome, .. } = pulls;
    if running.with_untracked(Option::is_some) {
        return;
    }
    running.set(Some(Running { name: entry.name.clone(), file: entry.file.clone(), progress: PullProgress { downloaded: 0, total: 0 } }));
    cancelling.set(false);
    outcome.set(None);
    spawn_local(async move {
        let channel = Channel::new(move |p: PullProgress| {
            running.update(|r| {
                if let Some(r) = r {
                    r.progress = p;
                }
            })
        });
        #[derive(Serialize)]
        struct Args {
            name: String,
        }
        let result = match &channel {
            Ok(ch) => invoke::<String>("pull_model", &Args { name: entry.name.clone() }, &[("onProgress", ch)]).await,
            Err(e) => Err(e.clone()),
        };
        drop(channel);
        running.set(None);
        let file = entry.file;
        outcome.set(Some(match result {
            Ok(_) => Outcome::Done { file },
            Err(error) => Outcome::Failed { file, problem: PullProblem::of(&error), error },
        }));
        ctx.refresh_models();
    });
}

#[component]
fn PullStatus(pulls: Pulls) -> impl IntoView {
    let Pulls { running, active, cancelling, outcome } = pulls;
    // Stable elements with reactive values: a progress report must not
    // rebuild the Cancel button under the user's click.
    let file = move || running.with(|r| r.as_ref().map(|r| r.file.clone()).unwrap_or_default());
    let pct = move || running.with(|r| r.as_ref().map_or(0, |r| catalog::percent(&r.progress)));
    let text = move || running.with(|r| r.as_ref().map(|r| catalog::progress_text(&r.progress)).unwrap_or_default());
    let cancel = move |_| {
        cancelling.set(true);
        spawn_local(async move {
            if let Err(e) = invoke::<bool>("cancel_pull", &(), &[]).await {
                leptos::logging::warn!("cannot cancel the download: {e}");
                cancelling.set(false);
            }
        });
    };
    let result = move || {
        outcome.get().map(|o| match o {
            Outcome::Done { file } => {
                view! { <div class="pull-result done" id="pull-result" role="status">{format!("Downloaded {file} into the library.")}</div> }.into_any()
            }
            Outcome::Failed { file, error, problem } => view! {
                <div class="pull-result failed" class:cancelled={problem == PullProblem::Cancelled} id="pull-result" role="alert">
                    <div class="advice">{problem.advice()}</div>
                    <div class="detail">{format!("{file}: {error}")}</div>
                </div>
            }
            .into_any(),
        })
    };
    view! {
        <Show when=move || active.with(Option::is_some)>
            <div class="pull-progress" id="pull-progress" role="status">
                <div class="pull-file">"Downloading "{file}</div>
                <progress max="100" prop:value=pct></progress>
                <div class="pull-numbers">
                    <span id="pull-text">{text}</span>
                    <button id="pull-cancel" class="small" disabled=move || cancelling.get() on:click=cancel>
                        {move || if cancelling.get() { "Cancelling…" } else { "Cancel" }}
                    </button>
                </div>
            </div>
        </Show>
        {result}
    }
}

/// A GGUF already on this machine, chosen in the OS dialog or by path, copied
/// or linked into the library after the shell checks its header.
#[component]
pub fn ImportGguf() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let path = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<String, String>>);
    let run = move |link: bool| {
        let typed = path.get_untracked();
        if typed.trim().is_empty() {
            result.set(Some(Err("Type the full path of a .gguf file first.".into())));
            return;
        }
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            #[derive(Serialize)]
            struct Args {
                path: String,
                link: bool,
            }
            let done = invoke::<ModelEntry>("import_model", &Args { path: typed.clone(), link }, &[]).await;
            busy.set(false);
            result.set(Some(match done {
                Ok(m) => {
                    path.set(String::new());
                    Ok(format!("{} {} into the library.", if link { "Linked" } else { "Copied" }, m.file_name))
                }
                Err(e) => Err(match catalog::import_advice(&typed) {
                    Some(advice) => format!("{e}. {advice}"),
                    None => e,
                }),
            }));
            ctx.refresh_models();
        });
    };
    let choose = move |_| {
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            let done = invoke::<Option<ModelEntry>>("pick_model", &(), &[]).await;
            busy.set(false);
            match done {
                Ok(Some(m)) => result.set(Some(Ok(format!("Copied {} into the library.", m.file_name)))),
                Ok(None) => {}
                Err(e) => result.set(Some(Err(e))),
            }
            ctx.refresh_models();
        });
    };
    let outcome = move || {
        result.get().map(|r| match r {
            Ok(text) => view! { <div class="import-result" id="import-result" role="status">{text}</div> }.into_any(),
            Err(e) => view! { <div class="error import-error" id="import-error" role="alert">{e}</div> }.into_any(),
        })
    };
    view! {
        <details class="library import" id="import-gguf">
            <summary>"Import GGUF…"</summary>
            <button id="import-choose" class="small" disabled=move || busy.get() on:click=choose>"Choose a .gguf file…"</button>
            <p class="hint">"Or type the full path of a .gguf file on this machine. Copy puts a second copy in the library; Link adds only a link, so the file must stay where it is."</p>
            <input id="import-path" type="text" spellcheck="false" placeholder="/home/me/Downloads/model.Q4_K_M.gguf"
                prop:value=move || path.get() on:input=move |e| path.set(event_target_value(&e)) />
            <div class="import-actions">
                <button id="import-copy" class="small" disabled=move || busy.get() on:click=move |_| run(false)>"Copy into library"</button>
                <button id="import-link" class="small" disabled=move || busy.get() on:click=move |_| run(true)>"Link"</button>
            </div>
            {outcome}
        </details>
    }
}
