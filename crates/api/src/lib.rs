//! A local OpenAI-compatible HTTP API on the engine the caller already holds:
//! `desk serve`, and the app's "Local API" switch, which serves the model in
//! the window (one copy of the weights; requests queue with the window's).
//!
//! Endpoints: `GET /health`, `GET /v1/models`, `POST /v1/chat/completions`,
//! `POST /v1/completions` (with `suffix`: fill in the middle), and
//! llama-server's `POST /infill`. Every request passes [`guard`] first.

mod body;
mod chat;
mod complete;
mod error;
mod guard;
pub mod key;
mod run;
mod sse;
mod stop;
mod wire;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use desk_engine::Backend;
use desk_protocol::{Conversation, ModelFacts, Usage};
use futures::future::BoxFuture;

pub use error::ApiError;
pub use guard::BODY_LIMIT;
pub use key::KeySource;

pub const DEFAULT_PORT: u16 = 8677;

/// Where requests find the model: a fixed one (`desk serve`), or whatever the
/// window has loaded.
pub trait ModelSource: Send + Sync + 'static {
    /// The model, waiting while one loads.
    fn backend(&self) -> BoxFuture<'_, Result<Arc<dyn Backend>, String>>;
    /// The model if one is ready now (health checks never wait).
    fn ready(&self) -> Option<Arc<dyn Backend>>;
}

/// A model that is always there.
pub struct Fixed(pub Arc<dyn Backend>);

impl ModelSource for Fixed {
    fn backend(&self) -> BoxFuture<'_, Result<Arc<dyn Backend>, String>> {
        let backend = self.0.clone();
        Box::pin(async move { Ok(backend) })
    }
    fn ready(&self) -> Option<Arc<dyn Backend>> {
        Some(self.0.clone())
    }
}

/// Keeps chat exchanges made through the API (`desk serve --record`).
pub trait Recorder: Send + Sync + 'static {
    fn record(&self, conv: &Conversation, reply: &str, usage: &Usage, model: &str);
}

pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub key: String,
    pub key_source: KeySource,
}

pub(crate) struct App {
    gate: guard::Gate,
    source: Arc<dyn ModelSource>,
    recorder: Option<Arc<dyn Recorder>>,
    requests: AtomicU64,
}

impl App {
    async fn backend(&self) -> Result<Arc<dyn Backend>, ApiError> {
        self.source.backend().await.map_err(ApiError::NoModel)
    }

    /// An id for a response, unique in this server's life.
    fn next_id(&self, prefix: &str) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{:x}{n:04x}", unix_now())
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What clients call the model: its file name.
pub(crate) fn model_id(facts: &ModelFacts) -> String {
    facts.file_name.clone()
}

pub(crate) fn usage_json(usage: &Usage) -> serde_json::Value {
    serde_json::json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    })
}

/// llama-server's `timings`, from the engine's own clock: what the model
/// computed, apart from what HTTP and the client add.
pub(crate) fn timings_json(usage: &Usage) -> serde_json::Value {
    serde_json::json!({
        "prompt_n": usage.prompt_tokens,
        "prompt_per_second": usage.prompt_tok_per_s,
        "predicted_n": usage.completion_tokens,
        "predicted_per_second": usage.decode_tok_per_s,
        "ttft_ms": usage.ttft_ms,
    })
}

/// A running server. Dropping it leaves it running; [`Server::stop`] closes the port.
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients are given (`http://127.0.0.1:8677/v1`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Stop accepting at once; running replies get a moment, then are dropped
    /// (which stops their generation).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task).await.is_err() {
            self.task.abort();
        }
    }

    /// Serve until the process is told to stop (Ctrl-C).
    pub async fn run_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.stop().await;
    }
}

/// Bind and start serving. A non-loopback address is refused unless the key
/// was given (`DESK_API_KEY`): the generated one is for this machine's clients.
pub async fn start(config: Config, source: Arc<dyn ModelSource>, recorder: Option<Arc<dyn Recorder>>) -> Result<Server, ApiError> {
    if !config.host.is_loopback() && config.key_source != KeySource::Given {
        return Err(ApiError::Start(format!(
            "{} is reachable from other machines; set DESK_API_KEY to the key their clients will send, or serve on 127.0.0.1",
            config.host
        )));
    }
    let listener = tokio::net::TcpListener::bind((config.host, config.port))
        .await
        .map_err(|e| ApiError::Start(format!("cannot listen on {}: {e}", SocketAddr::new(config.host, config.port))))?;
    let addr = listener.local_addr().map_err(|e| ApiError::Start(e.to_string()))?;
    let app = Arc::new(App {
        gate: guard::Gate { key: config.key, bound: config.host },
        source,
        recorder,
        requests: AtomicU64::new(0),
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = routes(app);
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.await;
        };
        // Errors here are per connection; the server itself only ends on shutdown.
        let _ = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
    });
    Ok(Server { addr, shutdown: Some(tx), task })
}

fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat::handle))
        .route("/v1/completions", post(complete::completions))
        .route("/infill", post(complete::infill))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard::guard))
        .with_state(app)
}

async fn health(State(app): State<Arc<App>>) -> Result<Json<serde_json::Value>, ApiError> {
    let backend = app.source.ready().ok_or_else(|| ApiError::NoModel("loading".into()))?;
    let stats = backend.stats();
    Ok(Json(serde_json::json!({
        "status": "ok",
        "model": model_id(&backend.facts()),
        "in_flight": stats.in_flight,
        "tokens_sampled": stats.sampled,
    })))
}

async fn models(State(app): State<Arc<App>>) -> Result<Json<serde_json::Value>, ApiError> {
    let backend = app.backend().await?;
    let facts = backend.facts();
    Ok(Json(serde_json::json!({
        "object": "list",
        "data": [{
            "id": model_id(&facts),
            "object": "model",
            "created": 0,
            "owned_by": "codellama-desk",
            "context_length": backend.context_limit(),
        }],
    })))
}
