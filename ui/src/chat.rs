//! The chat pane's message list: questions, streamed answers, branches.

use desk_protocol::Role;
use leptos::prelude::*;

use crate::state::Ctx;
use crate::doc::DocView;
use crate::ipc::invoke;
use crate::session::{regenerate, start_reply, Session};

/// A chat longer than `LONG` messages opens showing its last `TAIL`: building
/// a thousand messages' DOM at once takes seconds in WebKitGTK.
pub const TAIL: usize = 60;
const LONG: usize = 100;

const EXAMPLES: &[&str] = &[
    "Write a Python function that reverses a string",
    "Explain what this does:\n\nfn f(v: &[i32]) -> i32 { v.iter().filter(|x| *x % 2 == 0).sum() }",
    "How do I read a file line by line in Rust?",
];

#[component]
pub fn Messages() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Rebuilt only when the chat changes or gets its first message: reading the
    // session data here directly would re-create every message per streamed token.
    let shown = Memo::new(move |_| ctx.session().map(|s| (s.id, s.data.with(|d| d.tree.is_empty()))));
    let scroller = NodeRef::<leptos::html::Section>::new();
    let body = move || {
        let Some((_, empty)) = shown.get() else { return view! { <div></div> }.into_any() };
        let Some(session) = ctx.session_untracked() else { return view! { <div></div> }.into_any() };
        let data = session.data.clone();
        if empty {
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
        let path = Memo::new(move |_| path_data.with(|d| d.tree.path()));
        // How many of the last messages are shown; a long chat grows by a page at a time.
        let shown_n = RwSignal::new(TAIL);
        let hidden = move || {
            let n = path.with(Vec::len);
            if n <= LONG { 0 } else { n.saturating_sub(shown_n.get()) }
        };
        let visible = move || {
            let skip = hidden();
            path.with(|p| p[skip..].to_vec())
        };
        let s2 = session.clone();
        let show_earlier = move |_| {
            let data = s2.data.clone();
            let skip = hidden();
            let from = skip.saturating_sub(TAIL);
            // Only this page's documents are fetched: the text of every
            // message is already here, and the rest stays as it is.
            let (conv, missing) = data.with_untracked(|d| {
                let page = path.with_untracked(|p| p[from..skip].to_vec());
                let missing: Vec<(usize, desk_protocol::MessageId)> =
                    page.into_iter().filter(|n| !d.docs.contains_key(n)).filter_map(|n| d.stored.get(&n).map(|m| (n, *m))).collect();
                (d.stored_conv, missing)
            });
            let grow = move || keep_scroll(scroller, move || shown_n.update(|n| *n += TAIL));
            match conv {
                Some(id) if !missing.is_empty() => leptos::task::spawn_local(async move {
                    #[derive(serde::Serialize)]
                    struct Args {
                        id: desk_protocol::ConversationId,
                        messages: Vec<desk_protocol::MessageId>,
                    }
                    let messages = missing.iter().map(|(_, m)| *m).collect();
                    match invoke::<Vec<desk_protocol::Document>>("history_documents", &Args { id, messages }, &[]).await {
                        Ok(docs) => {
                            data.update(|d| {
                                for ((node, _), doc) in missing.into_iter().zip(docs) {
                                    d.insert_doc(node, doc);
                                }
                            });
                            grow();
                        }
                        Err(e) => leptos::logging::warn!("cannot open the earlier messages: {e}"),
                    }
                }),
                _ => grow(),
            }
        };
        view! {
            <div class="messages" id="messages">
                <Show when=move || { hidden() > 0 }>
                    <button class="earlier" on:click=show_earlier.clone()>{move || format!("Show earlier messages ({} more)", hidden())}</button>
                </Show>
                <For each=visible key=|id| *id children=move |id| view! { <MessageView session=session.clone() id=id /> } />
            </div>
        }
        .into_any()
    };
    view! { <section class="scroll" node_ref=scroller>{body}</section> }
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
        let dq = data.clone();
        let question_doc = Memo::new(move |_| dq.with(|d| d.docs.get(&id).cloned()));
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
                    fallback=move || view! { <Bubble content=content doc=question_doc /> }
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
                {move || info.get().notice.map(|n| view! { <div class="notice reply-notice">{n}</div> })}
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

/// Runs `change` (which adds content above the view) and then scrolls by
/// the height it added, so what the user was reading stays where it was.
fn keep_scroll(scroller: NodeRef<leptos::html::Section>, change: impl FnOnce() + 'static) {
    let Some(el) = scroller.get_untracked() else {
        change();
        return;
    };
    let (height, top) = (el.scroll_height(), el.scroll_top());
    change();
    request_animation_frame(move || {
        el.set_scroll_top(top + el.scroll_height() - height);
    });
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


/// Questions longer than this many lines start collapsed: shown whole in the
/// page but clipped, with a toggle that says how much there is.
const COLLAPSE_LINES: usize = 40;

#[component]
fn Bubble(content: Memo<String>, doc: Memo<Option<crate::session::Doc>>) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let size = Memo::new(move |_| content.with(|c| (c.lines().count(), c.len())));
    // A rendered question collapses its long code blocks instead.
    let long = move || size.get().0 > COLLAPSE_LINES && doc.with(Option::is_none);
    let toggle = move || {
        long().then(|| {
            let (lines, len) = size.get();
            let label = move || {
                if expanded.get() {
                    "Collapse".to_string()
                } else {
                    format!("Show all {lines} lines ({:.0} KB)", len as f64 / 1024.0)
                }
            };
            view! { <button class="expand" on:click=move |_| expanded.update(|e| *e = !*e)>{label}</button> }
        })
    };
    // The question's own render (code highlighted) once the shell sent it;
    // its text until then. Either way the text sent is `content`, untouched.
    let body = move || match doc.get() {
        Some(d) => view! { <DocView doc=Signal::derive(move || d.clone()) kind=crate::doc::DocKind::Question /> }.into_any(),
        None => view! { <span class="plain">{move || content.get()}</span> }.into_any(),
    };
    view! {
        <div class="bubble" class:rendered=move || doc.with(Option::is_some) class:collapsed=move || long() && !expanded.get()>{body}</div>
        {toggle}
    }
}
