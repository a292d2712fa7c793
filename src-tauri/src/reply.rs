//! One reply, engine -> renderer -> channel: each text delta goes through the
//! streaming renderer and only the blocks it changed travel to the UI.

use desk_engine::CancelHandle;
use desk_protocol::{ChatEvent, DocumentPatch, ReplyUpdate, SendRequest, StoredIds};
use desk_store::ReplyWriter;

pub use crate::render::Streaming;
use futures::StreamExt;

use crate::backend::Backend;
use crate::error::UiError;

/// Incremental markdown rendering of a growing reply.
pub trait ReplyRenderer {
    fn push(&mut self, delta: &str) -> Option<DocumentPatch>;
    /// The reply is complete: close any open block.
    fn finish(&mut self) -> Option<DocumentPatch>;
}

/// Stream the answer to `request` into `sink`. `register` receives the
/// reply's stop handle while it runs (and `None` after).
pub async fn run_reply(
    backend: &dyn Backend,
    request: &SendRequest,
    register: impl Fn(Option<CancelHandle>) + Send,
    mut sink: impl FnMut(ReplyUpdate) + Send,
) -> Result<(), UiError> {
    run_reply_with(backend, request, &mut Streaming::default(), None, register, &mut sink).await
}

/// `recorder`: where the reply is filed in the history, written as it streams.
pub async fn run_reply_with(
    backend: &dyn Backend,
    request: &SendRequest,
    renderer: &mut (dyn ReplyRenderer + Send),
    recorder: Option<(StoredIds, ReplyWriter)>,
    register: impl Fn(Option<CancelHandle>) + Send,
    sink: &mut (dyn FnMut(ReplyUpdate) + Send),
) -> Result<(), UiError> {
    let (mut stored, mut writer) = match recorder {
        Some((ids, w)) => (Some(ids), Some(w)),
        None => (None, None),
    };
    let (mut events, cancel) = match backend.stream(&request.conversation, &request.params, request.policy).await {
        Ok(started) => started,
        Err(e) => {
            if let Some(mut w) = writer.take() {
                let _ = w.finish(desk_protocol::ReplyEnd::Error, Some(e.to_string()), None);
            }
            return Err(e.into());
        }
    };
    register(Some(cancel));
    while let Some(event) = events.next().await {
        if let Some(w) = writer.as_mut() {
            // A history failure must not cost the user the answer on screen.
            if let Err(e) = w.record(&event) {
                eprintln!("history: stopped recording this reply: {e}");
                writer = None;
            }
        }
        let patch = match &event {
            ChatEvent::Text { delta } => renderer.push(delta),
            ChatEvent::Stopped { .. } => renderer.finish(),
            _ => None,
        };
        sink(ReplyUpdate { event, patch, stored: stored.take() });
    }
    register(None);
    Ok(())
}

/// Completion and fill output: plain code, not markdown, so no renderer and
/// no history; Stop works as for replies.
pub async fn run_plain(
    state: &crate::state::AppState,
    (mut events, cancel): (crate::backend::EventStream, CancelHandle),
    channel: &tauri::ipc::Channel<ReplyUpdate>,
) {
    state.set_current(Some(cancel));
    while let Some(event) = events.next().await {
        let _ = channel.send(ReplyUpdate { event, patch: None, stored: None });
    }
    state.set_current(None);
}
