//! Files attached to a question: chosen with the OS file dialog or dropped
//! on the composer, read here, checked and fenced by the shell.

use desk_protocol::Attachment;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::invoke;

/// Checked before reading, so a multi-gigabyte drop is never read into memory;
/// the shell checks again.
const MAX_BYTES: f64 = 1_048_576.0;

async fn read(file: web_sys::File) -> Result<Attachment, String> {
    let name = file.name();
    let size = file.size();
    if size > MAX_BYTES {
        return Err(format!("{name} is {size} bytes: files over 1 MiB are not attached (paste the part that matters)"));
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.map_err(|_| format!("cannot read {name}"))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    #[derive(serde::Serialize)]
    struct Args {
        name: String,
        bytes: Vec<u8>,
    }
    invoke::<Attachment>("attach_file", &Args { name, bytes }, &[]).await
}

/// Adds each file of `files` (a drop's or the dialog's) to `list`; the first
/// refusal is said in `error`.
pub fn add_files(files: Option<web_sys::FileList>, list: RwSignal<Vec<Attachment>>, error: RwSignal<Option<String>>) {
    let Some(files) = files else { return };
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    error.set(None);
    spawn_local(async move {
        for file in files {
            match read(file).await {
                Ok(a) => list.update(|l| l.push(a)),
                Err(e) => error.set(Some(e)),
            }
        }
    });
}

/// The question as sent: each attached file's fenced block, then what was typed.
pub fn compose(attachments: &[Attachment], typed: &str) -> String {
    let mut text: String = attachments.iter().map(|a| a.text.as_str()).collect::<Vec<_>>().join("\n");
    if !typed.trim().is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(typed);
    }
    text
}

/// The OS file dialog (opened by the shell, which reads the chosen file).
fn pick(list: RwSignal<Vec<Attachment>>, error: RwSignal<Option<String>>) {
    error.set(None);
    spawn_local(async move {
        match invoke::<Option<Attachment>>("pick_attachment", &(), &[]).await {
            Ok(Some(a)) => list.update(|l| l.push(a)),
            Ok(None) => {}
            Err(e) => error.set(Some(e)),
        }
    });
}

/// The attach button and the chips of the files attached so far.
#[component]
pub fn Attachments(list: RwSignal<Vec<Attachment>>, error: RwSignal<Option<String>>) -> impl IntoView {
    let chips = move || {
        list.get()
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let language = a.language.clone().unwrap_or_else(|| "text".into());
                let facts = format!("{language} · {} lines · {:.1} KB", a.lines, a.bytes as f64 / 1024.0);
                view! {
                    <span class="attachment" title=a.name.clone()>
                        <span class="attachment-name">{a.name.clone()}</span>
                        <span class="attachment-facts">{facts}</span>
                        <button class="attachment-remove" aria-label="Remove" on:click=move |_| list.update(|l| {
                            if i < l.len() {
                                l.remove(i);
                            }
                        })>"×"</button>
                    </span>
                }
            })
            .collect_view()
    };
    view! {
        <div class="attachments">
            <button id="attach" class="attach" title="Attach a text file (or drop one here)" on:click=move |_| pick(list, error)>
                "Attach file"
            </button>
            {chips}
            {move || error.get().map(|e| view! { <span id="attach-error" class="error" role="alert">{e}</span> })}
        </div>
    }
}
