//! The window: sidebar, header, and the pane of the current mode.

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::chat::Messages;
use crate::composer::Composer;
use crate::complete::CompletePane;
use crate::facts::Mode;
use crate::fill::FillPane;
use crate::header::Header;
use crate::ipc::invoke;
use crate::sidebar::Sidebar;
use crate::state::{load_model, Ctx};

#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx::new();
    provide_context(ctx);
    ctx.refresh_models();
    load_model(ctx, None, None, false);

    // A model without the current mode (after a switch) falls back to one it has.
    Effect::new(move |_| {
        if let Some(facts) = ctx.loaded_facts() {
            let mode = ctx.mode.get_untracked();
            if !crate::facts::supports(&facts, mode) {
                if let Some(m) = Mode::ALL.into_iter().find(|m| crate::facts::supports(&facts, *m)) {
                    ctx.mode.set(m);
                }
            }
        }
    });

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
            ctx.mode.set(Mode::Chat);
            ctx.focus_composer();
        } else if mod_key && key == "k" {
            e.prevent_default();
            if let Some(el) = ctx.search.get_untracked() {
                let _ = el.focus();
            }
        }
    });
    on_cleanup(move || keys.remove());

    // Every pane stays mounted, so switching modes keeps what was typed in each.
    let shown = move |m: Mode| move || ctx.mode.get() != m;
    view! {
        <div class="app">
            <Sidebar />
            <main class="chat">
                <crate::notice::StoreNoticeBanner />
                <Header />
                <div class="pane chat-pane" hidden=shown(Mode::Chat)>
                    <Messages />
                    <Composer />
                </div>
                <div class="pane" hidden=shown(Mode::Complete)><CompletePane /></div>
                <div class="pane" hidden=shown(Mode::Fill)><FillPane /></div>
            </main>
        </div>
    }
}
