//! Server-sent events exactly as OpenAI streams them: `data: {json}` events,
//! ending with `data: [DONE]`.

use std::convert::Infallible;

use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};

use crate::run::{Generation, Piece};

pub fn data(json: &serde_json::Value) -> Event {
    Event::default().data(json.to_string())
}

pub fn done() -> Event {
    Event::default().data("[DONE]")
}

/// The generation's pieces, in order, ending after its end. Dropping the
/// stream (the client went away) drops the generation, which stops the engine.
pub fn pieces(generation: Generation) -> impl Stream<Item = Piece> + Send {
    futures::stream::unfold(generation, |mut g| async move { g.next().await.map(|p| (p, g)) })
}

/// What follows the last text: the chunk with the finish reason, the usage
/// chunk (`usage_chunk`, its choices emptied) when the client asked, `[DONE]`.
pub fn ending(finished: &serde_json::Value, usage_chunk: Option<serde_json::Value>, usage: &desk_protocol::Usage) -> Vec<Event> {
    let mut out = vec![data(finished)];
    if let Some(mut last) = usage_chunk {
        last["choices"] = serde_json::json!([]);
        last["usage"] = crate::usage_json(usage);
        last["timings"] = crate::timings_json(usage);
        out.push(data(&last));
    }
    out.push(done());
    out
}

pub fn respond(first: Vec<Event>, rest: impl Stream<Item = Vec<Event>> + Send + 'static) -> Response {
    let events = futures::stream::iter(first).chain(rest.flat_map(futures::stream::iter)).map(Ok::<_, Infallible>);
    Sse::new(events).into_response()
}
