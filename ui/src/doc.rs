//! The typed document -> DOM. Model text only ever becomes text nodes; the only
//! attributes taken from the document are link targets (re-checked here) and
//! highlight class names (derived from grammar scopes, not from model text).

use desk_protocol::{Align, Block, CodeBlock, CodeNode, Inline, List, Table};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::{copy_text, invoke};
use crate::session::Doc;

/// Whose text a document shows: a reply's Python blocks can be run, a
/// question's long blocks (an attached file) start collapsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocKind {
    #[default]
    Reply,
    Question,
}

#[component]
pub fn DocView(#[prop(into)] doc: Signal<Doc>, #[prop(optional)] kind: DocKind) -> impl IntoView {
    view! {
        <div class="doc">
            <For
                each={move || doc.get().into_iter().enumerate().collect::<Vec<_>>()}
                key=|(i, b)| (*i, b.rev)
                children=move |(_, b)| block_view(&b.block, 0, kind)
            />
        </div>
    }
}

/// Code blocks in a question longer than this start collapsed.
const COLLAPSE_CODE_LINES: usize = 12;

const MAX_DEPTH: usize = 32;

fn block_view(block: &Block, depth: usize, kind: DocKind) -> AnyView {
    if depth > MAX_DEPTH {
        return view! { <p class="too-deep">"…"</p> }.into_any();
    }
    match block {
        Block::Paragraph { inlines } => view! { <p>{inlines_view(inlines)}</p> }.into_any(),
        Block::Heading { level, inlines } => {
            let body = inlines_view(inlines);
            match level {
                1 => view! { <h1>{body}</h1> }.into_any(),
                2 => view! { <h2>{body}</h2> }.into_any(),
                3 => view! { <h3>{body}</h3> }.into_any(),
                _ => view! { <h4>{body}</h4> }.into_any(),
            }
        }
        Block::Code(code) => code_view(code, kind),
        Block::Quote { blocks } => {
            let inner = blocks.iter().map(|b| block_view(b, depth + 1, kind)).collect_view();
            view! { <blockquote>{inner}</blockquote> }.into_any()
        }
        Block::List(list) => list_view(list, depth, kind),
        Block::Table(table) => table_view(table),
        Block::Rule => view! { <hr /> }.into_any(),
    }
}

fn list_view(list: &List, depth: usize, kind: DocKind) -> AnyView {
    let items = list
        .items
        .iter()
        .map(|item| {
            let task = item.task.map(|done| view! { <input type="checkbox" disabled=true checked=done /> });
            let blocks = item.blocks.iter().map(|b| block_view(b, depth + 1, kind)).collect_view();
            view! { <li>{task}{blocks}</li> }
        })
        .collect_view();
    match list.start {
        Some(start) => view! { <ol start=start.to_string()>{items}</ol> }.into_any(),
        None => view! { <ul>{items}</ul> }.into_any(),
    }
}

fn table_view(table: &Table) -> AnyView {
    let align = |i: usize| match table.align.get(i) {
        Some(Align::Left) => "left",
        Some(Align::Center) => "center",
        Some(Align::Right) => "right",
        _ => "",
    };
    let head = table.header.iter().enumerate().map(|(i, c)| view! { <th class=align(i)>{inlines_view(c)}</th> }).collect_view();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let cells = row.iter().enumerate().map(|(i, c)| view! { <td class=align(i)>{inlines_view(c)}</td> }).collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! { <table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table> }.into_any()
}

fn code_view(code: &CodeBlock, kind: DocKind) -> AnyView {
    let source = code.source.clone();
    let language = code.language.clone().unwrap_or_else(|| "text".into());
    let copied = RwSignal::new(false);
    let lines = code.lines.iter().map(|line| view! { <span class="line">{nodes_view(&line.nodes)}"\n"</span> }).collect_view();
    let count = code.lines.len();
    let long = kind == DocKind::Question && count > COLLAPSE_CODE_LINES;
    let expanded = RwSignal::new(false);
    let toggle = long.then(|| {
        let label = move || if expanded.get() { "Collapse".to_string() } else { format!("Show all {count} lines") };
        view! { <button class="expand-code" on:click=move |_| expanded.update(|e| *e = !*e)>{label}</button> }
    });
    let runnable = kind == DocKind::Reply && code.language.as_deref() == Some("Python");
    let run = runnable.then(|| view! { <crate::run::RunPanel source=code.source.clone() /> });
    view! {
        <div class="code-block" class:collapsed=move || long && !expanded.get()>
            <div class="code-head">
                <span class="lang">{language}</span>
                {code.label.clone().map(|l| view! { <span class="code-label">{l}</span> })}
                {toggle}
                <button class="copy" on:click=move |_| {
                    copy_text(&source);
                    copied.set(true);
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
            <pre class="code hl-code"><code>{lines}</code></pre>
            {run}
        </div>
    }
    .into_any()
}

fn nodes_view(nodes: &[CodeNode]) -> AnyView {
    nodes
        .iter()
        .map(|n| match n {
            CodeNode::Text(t) => t.clone().into_any(),
            CodeNode::Scope { class, children } => {
                view! { <span class=class.clone()>{nodes_view(children)}</span> }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

fn safe_href(href: &str) -> Option<String> {
    let lower = href.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|s| lower.starts_with(s)).then(|| href.trim().to_string())
}

fn inlines_view(inlines: &[Inline]) -> AnyView {
    inlines
        .iter()
        .map(|inline| match inline {
            Inline::Text { text, marks } => {
                let mut class = String::new();
                if marks.strong {
                    class.push_str("strong ");
                }
                if marks.emphasis {
                    class.push_str("em ");
                }
                if marks.strike {
                    class.push_str("strike");
                }
                if class.is_empty() {
                    text.clone().into_any()
                } else {
                    view! { <span class=class>{text.clone()}</span> }.into_any()
                }
            }
            Inline::Code { text } => view! { <code class="inline">{text.clone()}</code> }.into_any(),
            Inline::Link { href, title, children } => match safe_href(href) {
                Some(target) => {
                    let open = target.clone();
                    view! {
                        <a href=target title=title.clone().unwrap_or_default() on:click=move |ev| {
                            ev.prevent_default();
                            let url = open.clone();
                            spawn_local(async move {
                                #[derive(serde::Serialize)]
                                struct Args { url: String }
                                let _ = invoke::<()>("open_link", &Args { url }, &[]).await;
                            });
                        }>{inlines_view(children)}</a>
                    }
                    .into_any()
                }
                None => inlines_view(children),
            },
            Inline::Image { alt, url } => view! { <span class="image-ref">{format!("[image: {alt}] ({url})")}</span> }.into_any(),
            Inline::SoftBreak => " ".into_any(),
            Inline::HardBreak => view! { <br /> }.into_any(),
        })
        .collect_view()
        .into_any()
}
