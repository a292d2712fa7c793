//! `POST /v1/chat/completions`: the engine builds the prompt (Meta's exact
//! format for Code Llama Instruct, the file's template otherwise).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::body::Body;
use crate::error::ApiError;
use crate::run::{Generation, Piece};
use crate::wire::ChatRequest;
use crate::{model_id, sse, timings_json, unix_now, usage_json, App};

struct Meta {
    id: String,
    created: u64,
    model: String,
}

impl Meta {
    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
        })
    }
}

pub(crate) async fn handle(State(app): State<Arc<App>>, Body(mut request): Body<ChatRequest>) -> Result<Response, ApiError> {
    let conv = request.conversation()?;
    let stops = request.stops()?;
    let backend = app.backend().await?;
    let params = request.params(backend.context_limit())?;
    let policy = request.overflow.unwrap_or_default();
    let meta = Meta { id: app.next_id("chatcmpl"), created: unix_now(), model: model_id(&backend.facts()) };
    let generation = Generation::new(backend.stream(&conv, &params, policy).await?, stops);
    let recorder = app.recorder.clone();
    let record = move |text: &str, usage: &desk_protocol::Usage, model: &str| {
        if let Some(r) = &recorder {
            r.record(&conv, text, usage, model);
        }
    };

    if !request.stream {
        let (text, finish, usage) = generation.collect().await?;
        record(&text, &usage, &meta.model);
        return Ok(Json(json!({
            "id": meta.id, "object": "chat.completion", "created": meta.created, "model": meta.model,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": text },
                "logprobs": null,
                "finish_reason": finish.openai(),
            }],
            "usage": usage_json(&usage),
            "timings": timings_json(&usage),
        }))
        .into_response());
    }

    let include_usage = request.stream_options.as_ref().is_some_and(|o| o.include_usage);
    let first = vec![sse::data(&meta.chunk(json!({ "role": "assistant", "content": "" }), None))];
    let rest = sse::pieces(generation).map(move |piece| match piece {
        Piece::Text(t) => vec![sse::data(&meta.chunk(json!({ "content": t }), None))],
        Piece::End { finish, usage, text } => {
            record(&text, &usage, &meta.model);
            sse::ending(&meta.chunk(json!({}), Some(finish.openai())), include_usage.then(|| meta.chunk(json!({}), None)), &usage)
        }
        Piece::Failed(e) => vec![sse::data(&e.body()), sse::done()],
    });
    Ok(sse::respond(first, rest))
}
