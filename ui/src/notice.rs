//! A banner when the history database was unreadable at start and moved
//! aside: where the old file is, and that a fresh history was started.

use desk_protocol::StoreNotice;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::ipc::invoke;

#[component]
pub fn StoreNoticeBanner() -> impl IntoView {
    let notice = RwSignal::new(None::<StoreNotice>);
    spawn_local(async move {
        if let Ok(n) = invoke::<Option<StoreNotice>>("history_notice", &(), &[]).await {
            notice.set(n);
        }
    });
    move || {
        notice.get().map(|n| {
            view! {
                <div id="store-notice" class="banner warning" role="alert">
                    <span>
                        "Your chat history could not be read (" {n.reason} "), so a fresh one was started. "
                        "The old file was kept, untouched, at " <code class="path">{n.moved_to}</code>
                        ": nothing was deleted, and it can be recovered from there."
                    </span>
                    <button class="dismiss" on:click=move |_| notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
