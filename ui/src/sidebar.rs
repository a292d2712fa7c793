//! The sidebar: open and saved chats, search, the model picker and the settings.

use desk_protocol::{ConversationId, ConversationSummary, OpenedConversation, SearchHit, SearchResults};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::chats::{ChatRow, ChatTools, Status};
use crate::facts::Mode;
use crate::state::Ctx;
use crate::models::ModelPicker;
use crate::settings::SettingsPanel;
use crate::ipc::invoke;
use crate::session::{Session, SessionData};

/// Open a stored conversation in a new chat (or switch to it if it is open).
fn open_saved(ctx: Ctx, id: ConversationId) {
    ctx.mode.set(Mode::Chat);
    if let Some(s) = ctx.sessions.get_untracked().iter().find(|s| s.data.with_untracked(|d| d.stored_conv == Some(id))) {
        ctx.current.set(s.id);
        return;
    }
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            id: ConversationId,
            tail: Option<usize>,
        }
        // The end of a long chat paints first; the rest comes when asked for.
        let tail = Some(crate::chat::TAIL);
        match invoke::<OpenedConversation>("history_open", &Args { id, tail }, &[]).await {
            Ok(opened) => {
                let title = opened.view.meta.title.clone();
                let session_id = ctx.next_id.get_untracked() + 1;
                ctx.next_id.set(session_id);
                let session = Session::new(session_id);
                session.data.set(SessionData::from_stored(opened));
                session.data.update(|d| d.title = Some(title).filter(|t| !t.is_empty()));
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
                let title = s.data.with(|d| d.title.clone().unwrap_or_else(|| d.tree.title()));
                let stored = s.data.clone();
                (needle.is_empty() || title.to_lowercase().contains(&needle)).then_some((s.id, title, stored))
            })
            .collect::<Vec<_>>()
    };
    // Stored conversations, refreshed whenever a reply ends.
    let saved = RwSignal::new(Vec::<ConversationSummary>::new());
    let status: Status = RwSignal::new(None);
    Effect::new(move |_| {
        ctx.history_rev.track();
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
                <For each=chats key=|(id, title, _)| (*id, title.clone()) children=move |(id, title, data)| {
                    let stored = Signal::derive(move || data.with(|d| d.stored_conv));
                    let on_open = Callback::new(move |_| {
                        ctx.current.set(id);
                        ctx.mode.set(Mode::Chat);
                    });
                    view! { <ChatRow title=title stored=stored active=Signal::derive(move || ctx.current.get() == id) saved=false on_open=on_open status=status /> }
                } />
                <For each=saved_items key=|c| (c.id, c.title.clone()) children=move |c| {
                    let id = c.id;
                    let on_open = Callback::new(move |_| open_saved(ctx, id));
                    view! { <ChatRow title=c.title.clone() stored=Signal::derive(move || Some(id)) active=Signal::derive(|| false) saved=true on_open=on_open status=status /> }
                } />
            </nav>
            <ChatTools status=status />
            <div class="search-hits" id="search-hits">{hit_items}</div>
            <ModelPicker />
            <SettingsPanel />
        </aside>
    }
}
