//! Settings → Local API: the switch that serves the window's model to
//! editors on 127.0.0.1, with the URL and key to give them.

use desk_protocol::LocalApi;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::{copy_text, invoke};

#[derive(serde::Serialize)]
struct Switch {
    on: bool,
}

#[component]
pub fn LocalApiSetting() -> impl IntoView {
    let serving = RwSignal::new(None::<LocalApi>);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    // The server lives in the shell: a reloaded UI finds it still on.
    spawn_local(async move {
        if let Ok(now) = invoke::<Option<LocalApi>>("local_api", &(), &[]).await {
            serving.set(now);
        }
    });
    let toggle = move |on: bool| {
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match invoke::<Option<LocalApi>>("set_local_api", &Switch { on }, &[]).await {
                Ok(now) => serving.set(now),
                Err(e) => {
                    serving.set(None);
                    error.set(Some(e));
                }
            }
            pending.set(false);
        });
    };
    let details = move || {
        serving.get().map(|api| {
            let (url, key) = (api.url.clone(), api.key.clone());
            view! {
                <div class="local-api">
                    <div>"URL " <code id="local-api-url">{api.url.clone()}</code>
                        <button class="small" id="local-api-copy-url" on:click=move |_| copy_text(&url)>"Copy"</button></div>
                    <div>"Key " <code id="local-api-key">{api.key.clone()}</code>
                        <button class="small" id="local-api-copy-key" on:click=move |_| copy_text(&key)>"Copy"</button></div>
                    <div class="cost">"OpenAI-compatible; editors' requests queue with the window's replies."</div>
                </div>
            }
        })
    };
    view! {
        <label class="switch">
            <input type="checkbox" id="local-api-toggle"
                prop:checked=move || serving.get().is_some()
                disabled=move || pending.get()
                on:change=move |e| toggle(event_target_checked(&e)) />
            " Local API (serve this model to editors on 127.0.0.1)"
        </label>
        {details}
        {move || error.get().map(|e| view! { <div class="error" id="local-api-error">{e}</div> })}
    }
}
