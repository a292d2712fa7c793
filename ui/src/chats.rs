//! Managing stored chats from the sidebar: rename inline, delete (confirmed),
//! export one or all as Markdown / JSON / HTML, import a JSON export.

use desk_protocol::{ConversationId, ExportFormat, Exported};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::ipc::invoke;
use crate::state::Ctx;

/// What the last action did (or why it failed), shown under the chat list.
pub type Status = RwSignal<Option<Result<String, String>>>;

const FORMATS: [(ExportFormat, &str); 3] = [(ExportFormat::Markdown, "Markdown"), (ExportFormat::Json, "JSON"), (ExportFormat::Html, "HTML")];

fn export(id: Option<ConversationId>, title: String, format: ExportFormat, status: Status) {
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            id: Option<ConversationId>,
            title: String,
            format: ExportFormat,
        }
        let r = invoke::<Exported>("history_export", &Args { id, title, format }, &[]).await;
        status.set(Some(r.map(|e| format!("Exported {} chat(s) to {}", e.conversations, e.path))));
    });
}

fn rename(ctx: Ctx, id: ConversationId, title: String, status: Status) {
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            id: ConversationId,
            title: String,
        }
        match invoke::<String>("history_rename", &Args { id, title }, &[]).await {
            Ok(title) => {
                for s in ctx.sessions.get_untracked() {
                    if s.data.with_untracked(|d| d.stored_conv == Some(id)) {
                        s.data.update(|d| d.title = Some(title.clone()));
                    }
                }
                ctx.history_rev.update(|r| *r += 1);
                status.set(None);
            }
            Err(e) => status.set(Some(Err(e))),
        }
    });
}

fn delete(ctx: Ctx, id: ConversationId, status: Status) {
    spawn_local(async move {
        #[derive(serde::Serialize)]
        struct Args {
            id: ConversationId,
        }
        match invoke::<()>("history_delete", &Args { id }, &[]).await {
            Ok(()) => {
                let open: Vec<u64> = ctx.sessions.get_untracked().iter().filter(|s| s.data.with_untracked(|d| d.stored_conv == Some(id))).map(|s| s.id).collect();
                if !open.is_empty() {
                    ctx.sessions.update(|list| list.retain(|s| !open.contains(&s.id)));
                    if open.contains(&ctx.current.get_untracked()) {
                        ctx.new_chat();
                    }
                }
                ctx.history_rev.update(|r| *r += 1);
                status.set(Some(Ok("Deleted: its text was scrubbed from the history files".into())));
            }
            Err(e) => status.set(Some(Err(e))),
        }
    });
}

/// One chat in the sidebar; stored chats get an actions menu (also: F2
/// renames, Delete asks to delete).
#[component]
pub fn ChatRow(
    title: String,
    #[prop(into)] stored: Signal<Option<ConversationId>>,
    #[prop(into)] active: Signal<bool>,
    saved: bool,
    on_open: Callback<()>,
    status: Status,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let menu = RwSignal::new(false);
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let draft = RwSignal::new(title.clone());
    // The title field takes the keyboard as soon as it appears (F2 or Rename).
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if renaming.get() {
            if let Some(el) = field.get() {
                let _ = el.focus();
                // Selected (after the value is set, which moves the caret), so
                // typing replaces the old title.
                set_timeout(move || el.select(), std::time::Duration::ZERO);
            }
        }
    });
    let t2 = title.clone();
    let save = Callback::new(move |_: ()| {
        if !renaming.get_untracked() {
            return;
        }
        renaming.set(false);
        let new = draft.get_untracked();
        if let Some(id) = stored.get_untracked() {
            if new.trim() != t2.trim() {
                rename(ctx, id, new, status);
            }
        }
    });
    let start_rename = move || {
        if stored.get_untracked().is_some() {
            menu.set(false);
            renaming.set(true);
        }
    };
    let ask_delete = move || {
        if stored.get_untracked().is_some() {
            menu.set(false);
            confirming.set(true);
        }
    };
    let t3 = title.clone();
    let exports = move || {
        let title = t3.clone();
        FORMATS
            .iter()
            .map(|(format, label)| {
                let (format, title) = (*format, title.clone());
                let class = format!("export-{}", format.extension());
                view! {
                    <button class=class on:click=move |_| {
                        menu.set(false);
                        if let Some(id) = stored.get_untracked() {
                            export(Some(id), title.clone(), format, status);
                        }
                    }>{format!("Export {label}")}</button>
                }
            })
            .collect_view()
    };
    let shown_title = title.clone();
    view! {
        <div class="chat-row" class:active=move || active.get() class:saved=saved>
            <Show when=move || renaming.get() fallback=move || {
                let t = shown_title.clone();
                view! {
                    <button class="chat-item" class:active=move || active.get() class:saved=saved
                        on:click=move |_| on_open.run(())
                        on:keydown=move |e: web_sys::KeyboardEvent| match e.key().as_str() {
                            "F2" => { e.prevent_default(); start_rename(); }
                            "Delete" => { e.prevent_default(); ask_delete(); }
                            _ => {}
                        }
                    >{t}</button>
                }
            }>
                <input class="rename-input" aria-label="Chat title" node_ref=field prop:value=move || draft.get()
                    on:input=move |e| draft.set(event_target_value(&e))
                    on:keydown=move |e: web_sys::KeyboardEvent| match e.key().as_str() {
                        "Enter" => save.run(()),
                        "Escape" => renaming.set(false),
                        _ => {}
                    }
                    on:blur=move |_| save.run(())
                    />
            </Show>
            <Show when=move || stored.get().is_some()>
                <button class="chat-menu" aria-label="Chat actions" aria-expanded=move || menu.get().to_string()
                    on:click=move |_| menu.update(|m| *m = !*m)>"⋯"</button>
            </Show>
            <Show when=move || menu.get()>
                <div class="chat-actions" role="menu">
                    <button class="rename" on:click=move |_| start_rename()>"Rename"</button>
                    {exports.clone()}
                    <button class="delete danger" on:click=move |_| ask_delete()>"Delete"</button>
                </div>
            </Show>
            <Show when=move || confirming.get()>
                <div class="confirm-delete" role="alertdialog">
                    <span>"Delete this chat for good? Its text is scrubbed from disk."</span>
                    <button class="confirm danger" on:click=move |_| {
                        confirming.set(false);
                        if let Some(id) = stored.get_untracked() {
                            delete(ctx, id, status);
                        }
                    }>"Delete"</button>
                    <button class="cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
        </div>
    }
}

/// Under the chat list: export every chat, import an export, and what the
/// last action did.
#[component]
pub fn ChatTools(status: Status) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let format = RwSignal::new(ExportFormat::Markdown);
    let input = NodeRef::<leptos::html::Input>::new();
    let import = move |e: leptos::ev::Event| {
        let el = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let file = el.as_ref().and_then(|el| el.files()).and_then(|f| f.get(0));
        if let Some(el) = el {
            el.set_value("");
        }
        let Some(file) = file else { return };
        spawn_local(async move {
            let name = file.name();
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => t.as_string().unwrap_or_default(),
                Err(_) => {
                    status.set(Some(Err(format!("cannot read {name}"))));
                    return;
                }
            };
            #[derive(serde::Serialize)]
            struct Args {
                json: String,
            }
            match invoke::<usize>("history_import", &Args { json: text }, &[]).await {
                Ok(n) => {
                    ctx.history_rev.update(|r| *r += 1);
                    status.set(Some(Ok(format!("Imported {n} chat(s) from {name}"))));
                }
                Err(e) => status.set(Some(Err(format!("{name}: {e}")))),
            }
        });
    };
    let options = FORMATS
        .iter()
        .map(|(f, label)| {
            let f = *f;
            view! { <option value=f.extension() prop:selected=move || format.get() == f>{*label}</option> }
        })
        .collect_view();
    view! {
        <div class="chat-tools">
            <select id="export-all-format" aria-label="Export format" on:change=move |e| {
                let v = event_target_value(&e);
                if let Some((f, _)) = FORMATS.iter().find(|(f, _)| f.extension() == v) {
                    format.set(*f);
                }
            }>{options}</select>
            <button id="export-all" on:click=move |_| export(None, String::new(), format.get_untracked(), status)>"Export all"</button>
            <button id="import-chats" on:click=move |_| {
                if let Some(el) = input.get_untracked() {
                    el.click();
                }
            }>"Import…"</button>
            <input id="import-input" class="file-input" type="file" accept=".json,application/json" tabindex="-1" node_ref=input on:change=import />
        </div>
        {move || status.get().map(|s| match s {
            Ok(t) => view! { <div id="chats-status" class="status">{t}</div> }.into_any(),
            Err(e) => view! { <div id="chats-status" class="error" role="alert">{e}</div> }.into_any(),
        })}
    }
}
