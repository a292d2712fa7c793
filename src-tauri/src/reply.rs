//! One reply, engine -> renderer -> channel: each text delta goes through the
//! streaming renderer and only the blocks it changed travel to the UI.

use desk_engine::CancelHandle;
use desk_protocol::{ChatEvent, DocumentPatch, ReplyUpdate, SendRequest};
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
    run_reply_with(backend, request, &mut crate::render::Streaming::default(), register, &mut sink).await
}

pub async fn run_reply_with(
    backend: &dyn Backend,
    request: &SendRequest,
    renderer: &mut (dyn ReplyRenderer + Send),
    register: impl Fn(Option<CancelHandle>) + Send,
    sink: &mut (dyn FnMut(ReplyUpdate) + Send),
) -> Result<(), UiError> {
    let (mut events, cancel) = backend.stream(&request.conversation, &request.params, request.policy).await?;
    register(Some(cancel));
    while let Some(event) = events.next().await {
        let patch = match &event {
            ChatEvent::Text { delta } => renderer.push(delta),
            ChatEvent::Stopped { .. } => renderer.finish(),
            _ => None,
        };
        sink(ReplyUpdate { event, patch });
    }
    register(None);
    Ok(())
}
