//! `POST /v1/completions` (a continuation, or with `suffix` a fill in the
//! middle: what editor autocomplete sends) and llama-server's `POST /infill`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::body::Body;
use crate::error::ApiError;
use crate::run::{Finish, Generation, Piece};
use crate::wire::{CompletionRequest, InfillRequest, Prompt};
use crate::{model_id, sse, timings_json, unix_now, usage_json, App};

pub(crate) async fn completions(State(app): State<Arc<App>>, Body(mut request): Body<CompletionRequest>) -> Result<Response, ApiError> {
    let prompt = request.prompt()?;
    let stops = request.stops()?;
    let params = request.params()?;
    let backend = app.backend().await?;
    let events = match (prompt, &request.suffix) {
        (Prompt::Text(prompt), Some(suffix)) => backend.infill(&prompt, suffix, &params).await?,
        (Prompt::Text(prompt), None) => backend.complete(&prompt, &params).await?,
        (Prompt::Ids(_), Some(_)) => return Err(ApiError::BadRequest("suffix needs a text prompt".into())),
        // Token ids go to the model as they are: the caller built the prompt.
        (Prompt::Ids(ids), None) => backend.complete_tokens(ids, &params).await?,
    };
    let generation = Generation::new(events, stops);
    let (id, created, model) = (app.next_id("cmpl"), unix_now(), model_id(&backend.facts()));
    let object = move |text: &str, finish: Option<&str>| {
        json!({
            "id": id, "object": "text_completion", "created": created, "model": model,
            "choices": [{ "text": text, "index": 0, "logprobs": null, "finish_reason": finish }],
        })
    };

    if !request.stream {
        let (text, finish, usage) = generation.collect().await?;
        let mut body = object(&text, Some(finish.openai()));
        body["usage"] = usage_json(&usage);
        body["timings"] = timings_json(&usage);
        return Ok(Json(body).into_response());
    }
    let include_usage = request.stream_options.as_ref().is_some_and(|o| o.include_usage);
    let rest = sse::pieces(generation).map(move |piece| match piece {
        Piece::Text(t) => vec![sse::data(&object(&t, None))],
        Piece::End { finish, usage, .. } => {
            sse::ending(&object("", Some(finish.openai())), include_usage.then(|| object("", None)), &usage)
        }
        Piece::Failed(e) => vec![sse::data(&e.body()), sse::done()],
    });
    Ok(sse::respond(Vec::new(), rest))
}

/// llama-server's final fields for a fill.
fn infill_end(model: &str, finish: Finish, usage: &desk_protocol::Usage, content: &str) -> Value {
    json!({
        "content": content,
        "stop": true,
        "model": model,
        "tokens_predicted": usage.completion_tokens,
        "tokens_evaluated": usage.prompt_tokens,
        "stop_type": finish.llama(),
        "stopping_word": "",
        "truncated": false,
        "timings": timings_json(usage),
    })
}

pub(crate) async fn infill(State(app): State<Arc<App>>, Body(mut request): Body<InfillRequest>) -> Result<Response, ApiError> {
    let stops = request.stops()?;
    let backend = app.backend().await?;
    let params = request.params(backend.context_limit())?;
    let prefix = format!("{}{}", request.input_prefix, request.prompt);
    let generation = Generation::new(backend.infill(&prefix, &request.input_suffix, &params).await?, stops);
    let model = model_id(&backend.facts());
    if !request.stream {
        let (text, finish, usage) = generation.collect().await?;
        return Ok(Json(infill_end(&model, finish, &usage, &text)).into_response());
    }
    // llama-server streams `{content, stop}` objects and no `[DONE]`.
    let rest = sse::pieces(generation).map(move |piece| match piece {
        Piece::Text(t) => vec![sse::data(&json!({ "content": t, "stop": false }))],
        Piece::End { finish, usage, .. } => vec![sse::data(&infill_end(&model, finish, &usage, ""))],
        Piece::Failed(e) => vec![sse::data(&e.body())],
    });
    Ok(sse::respond(Vec::new(), rest))
}
