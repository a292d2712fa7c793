//! Chats, the model picker and the settings.

use desk_protocol::{ConversationId, ConversationSummary, ModelEntry, ModelStatus, OpenedConversation, OverflowPolicy, SearchHit, SearchResults};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::{load_model, Ctx};
use crate::ipc::invoke;
use crate::session::{Session, SessionData};

/// Open a stored conversation in a new chat (or switch to it if it is open).
fn open_saved(ctx: Ctx, id: ConversationId) {
    if let Some(s) = ctx.sessions.get_untracked().iter().find(|s| s.data.with_untracked(|d| d.stored_conv == Some(id))) {
        ctx.current.set(s.id);
        return;
    }
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            id: ConversationId,
        }
        match invoke::<OpenedConversation>("history_open", &Args { id }, &[]).await {
            Ok(opened) => {
                let session_id = ctx.next_id.get_untracked() + 1;
                ctx.next_id.set(session_id);
                let session = Session::new(session_id);
                session.data.set(SessionData::from_stored(opened));
                ctx.sessions.update(|s| s.insert(0, session));
                ctx.current.set(session_id);
            }
            Err(e) => leptos::logging::warn!("cannot open conversation {id}: {e}"),
        }
    });
}

#[component]
pub fn Sidebar() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let filter = RwSignal::new(String::new());
    let chats = move || {
        let needle = filter.get().to_lowercase();
        ctx.sessions
            .get()
            .into_iter()
            .filter_map(|s| {
                let title = s.data.with(|d| d.tree.title());
                (needle.is_empty() || title.to_lowercase().contains(&needle)).then_some((s.id, title))
            })
            .collect::<Vec<_>>()
    };
    // Stored conversations, refreshed whenever a reply ends.
    let saved = RwSignal::new(Vec::<ConversationSummary>::new());
    Effect::new(move |_| {
        if !ctx.busy.get() {
            spawn_local(async move {
                if let Ok(list) = invoke::<Vec<ConversationSummary>>("history_list", &(), &[]).await {
                    saved.set(list);
                }
            });
        }
    });
    let saved_items = move || {
        let needle = filter.get().to_lowercase();
        let open: Vec<i64> = ctx.sessions.get().iter().filter_map(|s| s.data.with(|d| d.stored_conv)).collect();
        saved
            .get()
            .into_iter()
            .filter(|c| !open.contains(&c.id) && (needle.is_empty() || c.title.to_lowercase().contains(&needle)))
            .collect::<Vec<_>>()
    };
    // Full-text search over every stored message while the search box has text.
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    Effect::new(move |_| {
        let query = filter.get();
        if query.trim().len() < 2 {
            hits.set(Vec::new());
            return;
        }
        spawn_local(async move {
            #[derive(serde::Serialize)]
            struct Args {
                query: String,
            }
            if let Ok(found) = invoke::<SearchResults>("history_search", &Args { query: query.clone() }, &[]).await {
                if filter.get_untracked() == query {
                    hits.set(found.hits);
                }
            }
        });
    });
    let hit_items = move || {
        hits.get()
            .into_iter()
            .map(|h| {
                let id = h.conversation_id;
                let snippet = h
                    .snippet
                    .into_iter()
                    .map(|p| if p.hit { view! { <mark>{p.text}</mark> }.into_any() } else { p.text.into_any() })
                    .collect_view();
                view! {
                    <button class="search-hit" on:click=move |_| open_saved(ctx, id)>
                        <span class="hit-title">{h.conversation_title}</span>
                        <span class="hit-snippet">{snippet}</span>
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <aside class="sidebar">
            <button id="new-chat" class="primary" on:click=move |_| ctx.new_chat() title="Ctrl+N">"New chat"</button>
            <input id="search" class="search" node_ref=ctx.search placeholder="Search chats (Ctrl+K)"
                prop:value=move || filter.get() on:input=move |e| filter.set(event_target_value(&e)) />
            <nav class="chats">
                <For each=chats key=|(id, title)| (*id, title.clone()) children=move |(id, title)| view! {
                    <button class="chat-item" class:active=move || ctx.current.get() == id on:click=move |_| ctx.current.set(id)>{title}</button>
                } />
                <For each=saved_items key=|c| (c.id, c.title.clone()) children=move |c| {
                    let id = c.id;
                    view! { <button class="chat-item saved" on:click=move |_| open_saved(ctx, id)>{c.title.clone()}</button> }
                } />
            </nav>
            <div class="search-hits" id="search-hits">{hit_items}</div>
            <ModelPicker />
            <SettingsPanel />
        </aside>
    }
}

#[component]
fn ModelPicker() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let models = RwSignal::new(Vec::<ModelEntry>::new());
    let refresh = move || {
        spawn_local(async move {
            if let Ok(list) = invoke::<Vec<ModelEntry>>("list_models", &(), &[]).await {
                models.set(list);
            }
        })
    };
    refresh();
    let current = move || match ctx.status.get() {
        ModelStatus::Ready { facts, .. } => facts.path,
        ModelStatus::Loading { path } | ModelStatus::Failed { path, .. } => path,
        ModelStatus::NoModel => String::new(),
    };
    let options = move || {
        models
            .get()
            .into_iter()
            .map(|m| {
                let label = match &m.facts {
                    Some(f) => format!(
                        "{} — {:.0} MiB, {}, ctx {}",
                        m.file_name,
                        f.file_size as f64 / 1048576.0,
                        f.file_type_name.clone().unwrap_or_else(|| "?".into()),
                        f.context_length.map_or("?".into(), |c| c.to_string())
                    ),
                    None => format!("{} — unusable", m.file_name),
                };
                let path = m.path.clone();
                let selected = path == current();
                view! { <option value=path selected=selected disabled=m.error.is_some() title=m.error.clone().unwrap_or_default()>{label}</option> }
            })
            .collect_view()
    };
    let problems = move || {
        models
            .get()
            .into_iter()
            .filter_map(|m| m.error.map(|e| view! { <li class="model-problem">{format!("{}: {e}", m.file_name)}</li> }))
            .collect_view()
    };
    view! {
        <section class="panel models">
            <h3>"Model" <button class="small" on:click=move |_| refresh() title="Rescan the models folder">"↻"</button></h3>
            <select id="model-picker" disabled=move || ctx.busy.get() on:change=move |e| {
                let path = event_target_value(&e);
                load_model(ctx, Some(path));
            }>{options}</select>
            <ul class="problems">{problems}</ul>
        </section>
    }
}

#[component]
fn SettingsPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let s = ctx.settings;
    let num = |e: &leptos::ev::Event| event_target_value(e).parse::<f64>().ok();
    view! {
        <details class="panel settings">
            <summary>"Settings"</summary>
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
                <input type="number" min="1" max="32768" prop:value=move || s.get().max_tokens.to_string()
                    on:change=move |e| if let Some(v) = num(&e) { s.update(|x| x.max_tokens = (v as usize).max(1)) } />
            </label>
            <label>"When the context is full"
                <select on:change=move |e| {
                    let policy = match event_target_value(&e).as_str() {
                        "error" => OverflowPolicy::Error,
                        "rolling" => OverflowPolicy::RollingWindow,
                        _ => OverflowPolicy::DropOldest,
                    };
                    s.update(|x| x.policy = policy);
                }>
                    <option value="drop" selected=true>"Drop oldest (keep first question)"</option>
                    <option value="rolling">"Rolling window"</option>
                    <option value="error">"Stop with an error"</option>
                </select>
            </label>
        </details>
    }
}
