//! The model picker's "Remote server": a model served by llama-server, vLLM
//! or mistralrs-server, tested and then used in the window like a loaded GGUF.

use desk_protocol::{ModelFacts, ModelStatus, RemoteRequest, RemoteSettings};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use crate::state::Ctx;
use crate::ipc::invoke;

#[derive(Serialize)]
struct Args {
    request: RemoteRequest,
}

#[derive(Clone, Copy)]
struct Form {
    url: RwSignal<String>,
    key: RwSignal<String>,
    has_key: RwSignal<bool>,
    models: RwSignal<Vec<String>>,
    model: RwSignal<String>,
    /// What the last test or use said, and whether it was a failure.
    said: RwSignal<Option<(String, bool)>>,
    pending: RwSignal<bool>,
}

impl Form {
    fn request(&self) -> RemoteRequest {
        RemoteRequest {
            url: self.url.get_untracked(),
            // Empty: the saved key (the shell keeps it; the form never shows it).
            key: Some(self.key.get_untracked()).filter(|k| !k.is_empty()),
            model: Some(self.model.get_untracked()).filter(|m| !m.is_empty()),
        }
    }

    fn test(self) {
        self.pending.set(true);
        self.said.set(None);
        spawn_local(async move {
            match invoke::<Vec<String>>("remote_models", &Args { request: self.request() }, &[]).await {
                Ok(list) => {
                    let n = list.len();
                    if !list.contains(&self.model.get_untracked()) {
                        self.model.set(list.first().cloned().unwrap_or_default());
                    }
                    self.models.set(list);
                    self.said.set(Some((format!("Connected: the server lists {n} model{}.", if n == 1 { "" } else { "s" }), false)));
                }
                Err(e) => {
                    self.models.set(Vec::new());
                    self.said.set(Some((e, true)));
                }
            }
            self.pending.set(false);
        });
    }

    fn use_it(self, ctx: Ctx) {
        self.pending.set(true);
        self.said.set(None);
        ctx.status.set(ModelStatus::Loading { path: self.url.get_untracked() });
        spawn_local(async move {
            match invoke::<ModelFacts>("use_remote", &Args { request: self.request() }, &[]).await {
                Ok(f) => {
                    self.said.set(Some((format!("Using {} on the server.", f.file_name), false)));
                    self.key.set(String::new());
                    if let Ok(s) = invoke::<RemoteSettings>("remote_settings", &(), &[]).await {
                        self.has_key.set(s.has_key);
                    }
                }
                Err(e) => self.said.set(Some((e, true))),
            }
            if let Ok(status) = invoke::<ModelStatus>("model_status", &(), &[]).await {
                ctx.status.set(status);
            }
            self.pending.set(false);
        });
    }
}

#[component]
pub fn RemoteServer() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let f = Form {
        url: RwSignal::new(String::new()),
        key: RwSignal::new(String::new()),
        has_key: RwSignal::new(false),
        models: RwSignal::new(Vec::new()),
        model: RwSignal::new(String::new()),
        said: RwSignal::new(None),
        pending: RwSignal::new(false),
    };
    spawn_local(async move {
        if let Ok(s) = invoke::<RemoteSettings>("remote_settings", &(), &[]).await {
            f.url.set(s.url);
            f.model.set(s.model.unwrap_or_default());
            f.has_key.set(s.has_key);
        }
    });
    let picker = move || {
        let list = f.models.get();
        (!list.is_empty()).then(|| {
            let options = list.into_iter().map(|m| view! { <option value=m.clone()>{m.clone()}</option> }).collect_view();
            view! {
                <div class="remote-pick">
                    <select id="remote-model" prop:value=move || f.model.get() on:change=move |e| f.model.set(event_target_value(&e))>{options}</select>
                    <button id="remote-use" class="small" disabled=move || f.pending.get() || ctx.busy.get() on:click=move |_| f.use_it(ctx)>"Use"</button>
                </div>
            }
        })
    };
    let said = move || {
        f.said.get().map(|(text, failed)| view! { <div id="remote-status" class="remote-status" class:error=failed role="status">{text}</div> })
    };
    view! {
        <details class="library remote-server" id="remote-server">
            <summary>"Remote server"</summary>
            <p class="cost">"A bigger model on another machine, served by llama-server, vLLM or mistralrs-server (OpenAI-compatible). Plain http:// only to this machine or a private network; the key is kept in the data folder, never in the history."</p>
            <label>"URL "
                <input id="remote-url" type="url" placeholder="http://127.0.0.1:8080" prop:value=move || f.url.get()
                    on:input=move |e| f.url.set(event_target_value(&e)) />
            </label>
            <label>"Key "
                <input id="remote-key" type="password" autocomplete="off"
                    placeholder=move || if f.has_key.get() { "saved (leave empty to keep it)" } else { "none" }
                    prop:value=move || f.key.get() on:input=move |e| f.key.set(event_target_value(&e)) />
            </label>
            <button id="remote-test" class="small" disabled=move || f.pending.get() || f.url.get().trim().is_empty() on:click=move |_| f.test()>"Test connection"</button>
            {picker}
            {said}
        </details>
    }
}
