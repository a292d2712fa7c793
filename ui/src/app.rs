//! The window: sidebar, message list, composer; model loading behind it.

use desk_protocol::{LoadProgress, LoadStage, ModelStatus, Role};
use leptos::ev;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::doc::DocView;
use crate::ipc::{invoke, Channel};
use crate::session::{regenerate, start_reply, Session, Settings};
use crate::sidebar::Sidebar;

#[derive(Clone, Copy)]
pub struct Ctx {
    pub sessions: RwSignal<Vec<Session>>,
    pub current: RwSignal<u64>,
    pub settings: RwSignal<Settings>,
    pub status: RwSignal<ModelStatus>,
    pub stage: RwSignal<Option<LoadStage>>,
    pub busy: RwSignal<bool>,
    pub next_id: RwSignal<u64>,
    pub composer: NodeRef<Textarea>,
    pub search: NodeRef<leptos::html::Input>,
}

impl Ctx {
    pub fn session(&self) -> Option<Session> {
        let id = self.current.get();
        self.sessions.with(|s| s.iter().find(|x| x.id == id).cloned())
    }
    pub fn new_chat(&self) {
        let id = self.next_id.get_untracked() + 1;
        self.next_id.set(id);
        self.sessions.update(|s| s.insert(0, Session::new(id)));
        self.current.set(id);
        self.focus_composer();
    }
    pub fn focus_composer(&self) {
        if let Some(el) = self.composer.get_untracked() {
            let _ = el.focus();
        }
    }
}

/// Load `path` (or the default model) with progress shown in the header.
pub fn load_model(ctx: Ctx, path: Option<String>) {
    ctx.status.set(ModelStatus::Loading { path: path.clone().unwrap_or_default() });
    spawn_local(async move {
        let stage = ctx.stage;
        let channel = Channel::new(move |p: LoadProgress| stage.set(Some(p.stage)));
        #[derive(serde::Serialize)]
        struct Args {
            path: Option<String>,
        }
        let result = match &channel {
            Ok(ch) => invoke::<desk_protocol::ModelFacts>("load_model", &Args { path }, &[("onProgress", ch)]).await,
            Err(e) => Err(e.clone()),
        };
        drop(channel);
        if let Err(e) = result {
            leptos::logging::warn!("model load failed: {e}");
        }
        if let Ok(status) = invoke::<ModelStatus>("model_status", &(), &[]).await {
            ctx.status.set(status);
        }
    });
}

#[component]
pub fn App() -> impl IntoView {
    let first = Session::new(1);
    let ctx = Ctx {
        sessions: RwSignal::new(vec![first]),
        current: RwSignal::new(1),
        settings: RwSignal::new(Settings::default()),
        status: RwSignal::new(ModelStatus::NoModel),
        stage: RwSignal::new(None),
        busy: RwSignal::new(false),
        next_id: RwSignal::new(1),
        composer: NodeRef::new(),
        search: NodeRef::new(),
    };
    provide_context(ctx);
    load_model(ctx, None);

    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        let key = e.key();
        let mod_key = e.ctrl_key() || e.meta_key();
        if mod_key && key == "n" {
            e.prevent_default();
            ctx.new_chat();
        } else if key == "Escape" && ctx.busy.get_untracked() {
            spawn_local(async move {
                let _ = invoke::<bool>("stop", &(), &[]).await;
            });
        } else if mod_key && key == "l" {
            e.prevent_default();
            ctx.focus_composer();
        } else if mod_key && key == "k" {
            e.prevent_default();
            if let Some(el) = ctx.search.get_untracked() {
                let _ = el.focus();
            }
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <div class="app">
            <Sidebar />
            <main class="chat">
                <Header />
                <Messages />
                <Composer />
            </main>
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
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
        ModelStatus::Ready { facts, context_limit, load_ms } => view! {
            <span class="status ready" id="model-ready">
                {format!("{} · {} · ctx {} · loaded in {:.1}s", facts.file_name, facts.file_type_name.unwrap_or_default(), context_limit, load_ms as f64 / 1e3)}
            </span>
        }
        .into_any(),
        ModelStatus::Failed { error, .. } => view! { <span class="status error" id="model-error">{error}</span> }.into_any(),
    };
    let meter = move || {
        let s = ctx.session()?;
        let (used, limit) = s.data.with(|d| (d.context_used, d.context_limit));
        (limit > 0).then(|| {
            let pct = (used as f64 / limit as f64 * 100.0).min(100.0);
            view! {
                <span class="meter" title=format!("{used} of {limit} context tokens")>
                    <span class="bar" style=format!("width: {pct:.0}%")></span>
                    <span class="label">{format!("{used}/{limit}")}</span>
                </span>
            }
        })
    };
    view! { <header class="top">{model}{meter}</header> }
}

const EXAMPLES: &[&str] = &[
    "Write a Python function that reverses a string",
    "Explain what this does:\n\nfn f(v: &[i32]) -> i32 { v.iter().filter(|x| *x % 2 == 0).sum() }",
    "How do I read a file line by line in Rust?",
];

#[component]
fn Messages() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let body = move || {
        let Some(session) = ctx.session() else { return view! { <div></div> }.into_any() };
        let data = session.data.clone();
        if data.with(|d| d.tree.is_empty()) {
            let examples = EXAMPLES
                .iter()
                .map(|ex| {
                    let text = ex.to_string();
                    view! { <button class="example" on:click=move |_| send_text(ctx, text.clone())>{ex.to_string()}</button> }
                })
                .collect_view();
            return view! {
                <div class="empty">
                    <h2>"Ask about code"</h2>
                    <p>"Paste a snippet and ask what it does, or start from an example. Enter sends, Shift+Enter adds a line."</p>
                    <div class="examples">{examples}</div>
                </div>
            }
            .into_any();
        }
        let path_data = data.clone();
        let path = move || path_data.with(|d| d.tree.path());
        view! {
            <div class="messages" id="messages">
                <For each=path key=|id| *id children=move |id| view! { <MessageView session=session.clone() id=id /> } />
            </div>
        }
        .into_any()
    };
    view! { <section class="scroll">{body}</section> }
}

#[component]
fn MessageView(session: Session, id: usize) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = session.data.clone();
    let d1 = data.clone();
    let role = data.with_untracked(|d| d.tree.node(id).map(|n| n.role).unwrap_or(Role::User));
    let content = Memo::new(move |_| d1.with(|d| d.tree.node(id).map(|n| n.content.clone()).unwrap_or_default()));
    let d2 = data.clone();
    let siblings = Memo::new(move |_| d2.with(|d| d.tree.siblings(id)));
    let flip = {
        let data = data.clone();
        move |step: isize| data.update(|d| {
            d.tree.flip(id, step);
        })
    };
    let flip_prev = flip.clone();
    let branches = move || {
        let (at, count) = siblings.get();
        let prev = flip_prev.clone();
        let next = flip.clone();
        (count > 1).then(|| {
            view! {
                <span class="branches">
                    <button class="prev" on:click=move |_| prev(-1)>"‹"</button>
                    <span class="pos">{format!("{at}/{count}")}</span>
                    <button class="next" on:click=move |_| next(1)>"›"</button>
                </span>
            }
        })
    };
    if role == Role::User {
        let editing = RwSignal::new(false);
        let draft = RwSignal::new(String::new());
        let s = session.clone();
        let save = move |_| {
            let text = draft.get_untracked();
            if text.trim().is_empty() || ctx.busy.get_untracked() {
                return;
            }
            editing.set(false);
            let new = s.data.try_update(|d| d.tree.edit(id, text)).flatten();
            if let Some(q) = new {
                start_reply(s.clone(), q, ctx.settings.get_untracked(), ctx.busy);
            }
        };
        view! {
            <div class="msg user">
                <Show
                    when=move || editing.get()
                    fallback=move || view! { <div class="bubble">{move || content.get()}</div> }
                >
                    <textarea class="edit" prop:value=move || draft.get() on:input=move |e| draft.set(event_target_value(&e))></textarea>
                    <div class="edit-actions">
                        <button class="save" on:click=save.clone()>"Save & send"</button>
                        <button on:click=move |_| editing.set(false)>"Cancel"</button>
                    </div>
                </Show>
                <div class="tools">
                    <button class="edit-btn" on:click=move |_| {
                        draft.set(content.get_untracked());
                        editing.set(true);
                    }>"Edit"</button>
                    {branches}
                </div>
            </div>
        }
        .into_any()
    } else {
        let d3 = data.clone();
        let doc = Memo::new(move |_| d3.with(|d| d.docs.get(&id).cloned().unwrap_or_default()));
        let d4 = data.clone();
        let info = Memo::new(move |_| d4.with(|d| d.info.get(&id).cloned().unwrap_or_default()));
        let s = session.clone();
        let stats = move || {
            let i = info.get();
            let mut parts = Vec::new();
            if let Some(u) = &i.usage {
                parts.push(format!("{:.1} tok/s", u.decode_tok_per_s));
                parts.push(format!("TTFT {:.0} ms", u.ttft_ms));
                parts.push(format!("{} + {} tokens", u.prompt_tokens, u.completion_tokens));
            }
            match &i.reason {
                Some(desk_protocol::StopReason::Cancelled) => parts.push("stopped".into()),
                Some(desk_protocol::StopReason::MaxTokens) => parts.push("hit max tokens".into()),
                _ => {}
            }
            if let Some(d) = &i.dropped {
                parts.push(format!("context full: {} earlier messages left out", d.message_indices.len()));
            }
            parts.join(" · ")
        };
        view! {
            <div class="msg assistant" class:streaming=move || info.get().streaming>
                <DocView doc=Signal::derive(move || doc.get()) />
                {move || info.get().error.map(|e| view! { <div class="error reply-error">{e}</div> })}
                <div class="tools">
                    <span class="stats">{stats}</span>
                    <button class="regenerate" disabled=move || ctx.busy.get() on:click=move |_| {
                        regenerate(s.clone(), id, ctx.settings.get_untracked(), ctx.busy)
                    }>"Regenerate"</button>
                    {branches}
                </div>
            </div>
        }
        .into_any()
    }
}

pub fn send_text(ctx: Ctx, text: String) {
    if text.trim().is_empty() || ctx.busy.get_untracked() {
        return;
    }
    let Some(session) = ctx.session() else { return };
    let question = session.data.try_update(|d| d.tree.push_user(text));
    if let Some(q) = question {
        start_reply(session, q, ctx.settings.get_untracked(), ctx.busy);
    }
}

#[component]
fn Composer() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let text = RwSignal::new(String::new());
    let send = move || {
        let t = text.get_untracked();
        if !t.trim().is_empty() && !ctx.busy.get_untracked() {
            text.set(String::new());
            send_text(ctx, t);
        }
    };
    let queued = move || matches!(ctx.status.get(), ModelStatus::Loading { .. }) && ctx.busy.get();
    view! {
        <footer class="composer">
            <textarea
                id="composer"
                node_ref=ctx.composer
                placeholder="Ask about code — paste a snippet, Enter to send, Shift+Enter for a new line"
                prop:value=move || text.get()
                on:input=move |e| text.set(event_target_value(&e))
                on:keydown=move |e: web_sys::KeyboardEvent| {
                    if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                        e.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <div class="actions">
                {move || queued().then(|| view! { <span class="queued">"Queued until the model is loaded"</span> })}
                <Show
                    when=move || ctx.busy.get()
                    fallback=move || view! { <button id="send" class="primary" on:click=move |_| send()>"Send"</button> }
                >
                    <button id="stop" class="danger" on:click=move |_| spawn_local(async move {
                        let _ = invoke::<bool>("stop", &(), &[]).await;
                    })>"Stop"</button>
                </Show>
            </div>
        </footer>
    }
}
