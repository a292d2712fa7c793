//! What the shell holds between commands: the model slot and the running reply.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use desk_engine::{discover, gguf, memory, Activations, CancelHandle};
use desk_protocol::{FitEstimate, LoadProgress, ModelEntry, ModelFacts, ModelStatus};
use tokio::sync::watch;

use crate::backend::{Backend, LoadRequest, Loader};
use crate::error::UiError;
use crate::history::History;

#[derive(Clone)]
enum Slot {
    NoModel,
    Loading { path: String },
    Ready(Arc<dyn Backend>),
    Failed { path: String, error: String },
}

pub struct AppState {
    pub history: Option<History>,
    /// Where downloads and imports go (the data folder's `models/`).
    pub library: PathBuf,
    pub downloads: crate::library::Downloads,
    loader: Loader,
    pub models_dirs: Vec<PathBuf>,
    slot: watch::Sender<Slot>,
    current: Mutex<Option<CancelHandle>>,
    /// Stops the running prefill (at its next chunk boundary).
    prefill_stop: Mutex<CancelHandle>,
    /// Held while a prefill runs: one at a time, and a send waits for the
    /// chunk in flight so its work is in the cache before the real request.
    prefill_lane: tokio::sync::Mutex<()>,
    /// The activation dtype the next load uses (Settings).
    activations: Mutex<Activations>,
    /// The local API server while the switch is on, and what the UI shows of it.
    pub(crate) local_api: tokio::sync::Mutex<Option<(desk_api::Server, desk_protocol::LocalApi)>>,
    /// Runs a reply's code block in the sandbox (Settings → Run code).
    pub runner: Arc<crate::runner::Runner>,
}

/// A view of the model slot that outlives a command: the local API's source.
pub struct SlotWatch(watch::Receiver<Slot>);

impl SlotWatch {
    /// The loaded backend, waiting while a model is still loading.
    pub async fn wait(&self) -> Result<Arc<dyn Backend>, UiError> {
        wait_ready(self.0.clone()).await
    }

    pub fn now(&self) -> Option<Arc<dyn Backend>> {
        match &*self.0.borrow() {
            Slot::Ready(b) => Some(b.clone()),
            _ => None,
        }
    }
}

async fn wait_ready(mut rx: watch::Receiver<Slot>) -> Result<Arc<dyn Backend>, UiError> {
    loop {
        let slot = rx.borrow_and_update().clone();
        match slot {
            Slot::Ready(b) => return Ok(b),
            Slot::Failed { error, .. } => return Err(UiError::NoModel(error)),
            Slot::NoModel => return Err(UiError::NoModel("choose a model first".into())),
            Slot::Loading { .. } => {
                if rx.changed().await.is_err() {
                    return Err(UiError::Other("the app is shutting down".into()));
                }
            }
        }
    }
}

impl AppState {
    pub fn new(loader: Loader, models_dirs: Vec<PathBuf>) -> Self {
        Self {
            history: None,
            library: desk_engine::library::library_dir(),
            downloads: Default::default(),
            loader,
            models_dirs,
            slot: watch::Sender::new(Slot::NoModel),
            current: Mutex::new(None),
            prefill_stop: Mutex::new(CancelHandle::default()),
            prefill_lane: tokio::sync::Mutex::new(()),
            activations: Mutex::new(Activations::Auto),
            local_api: tokio::sync::Mutex::new(None),
            runner: Arc::default(),
        }
    }

    pub fn with_history(mut self, history: History) -> Self {
        self.history = Some(history);
        self
    }

    pub fn history(&self) -> Result<&History, UiError> {
        self.history.as_ref().ok_or_else(|| UiError::Other("history is not available in this session".into()))
    }

    pub fn status(&self) -> ModelStatus {
        match &*self.slot.borrow() {
            Slot::NoModel => ModelStatus::NoModel,
            Slot::Loading { path } => ModelStatus::Loading { path: path.clone() },
            Slot::Ready(b) => ModelStatus::Ready { facts: b.facts(), context_limit: b.context_limit(), load_ms: b.load_ms(), remote: b.remote() },
            Slot::Failed { path, error } => ModelStatus::Failed { path: path.clone(), error: error.clone() },
        }
    }

    pub fn models(&self) -> Vec<ModelEntry> {
        discover::list_models(&self.models_dirs)
            .into_iter()
            .map(|(path, facts)| {
                let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let (facts, error) = match facts.and_then(|f| desk_engine::gguf::check_supported(&f).map(|_| f)) {
                    Ok(f) => (Some(f), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                let fit = facts.as_ref().map(|f| memory::estimate(f, memory::default_context(f)));
                ModelEntry { path: path.display().to_string(), file_name, facts, error, fit }
            })
            .collect()
    }

    /// What loading `path` at `context` tokens would need, read from its header only.
    pub fn estimate(&self, path: &std::path::Path, context: Option<usize>) -> Result<FitEstimate, UiError> {
        let facts = gguf::inspect(path)?;
        Ok(memory::estimate(&facts, context.unwrap_or_else(|| memory::default_context(&facts))))
    }

    /// Load `path` (default: the first usable model) with `context` tokens
    /// (default: the model's own). Messages sent meanwhile wait for it; a
    /// failure is kept so they get its message.
    pub async fn load(
        &self,
        path: Option<PathBuf>,
        context: Option<usize>,
        progress: Box<dyn FnMut(LoadProgress) + Send>,
    ) -> Result<ModelFacts, UiError> {
        self.load_request(path, context, false, progress).await
    }

    /// [`load`](Self::load), with `force` skipping the memory check after the user confirmed.
    pub async fn load_request(
        &self,
        path: Option<PathBuf>,
        context: Option<usize>,
        force: bool,
        progress: Box<dyn FnMut(LoadProgress) + Send>,
    ) -> Result<ModelFacts, UiError> {
        let path = match path {
            Some(p) => p,
            None => discover::default_model(&self.models_dirs).inspect_err(|e| {
                self.slot.send_replace(Slot::Failed { path: String::new(), error: e.to_string() });
            })?,
        };
        let shown = path.display().to_string();
        self.slot.send_replace(Slot::Loading { path: shown.clone() });
        let activations = self.activations.lock().map(|a| *a).unwrap_or_default();
        match (self.loader)(LoadRequest { path, context, force, activations }, progress).await {
            Ok(backend) => {
                let facts = backend.facts();
                self.slot.send_replace(Slot::Ready(backend));
                Ok(facts)
            }
            Err(e) => {
                self.slot.send_replace(Slot::Failed { path: shown, error: e.to_string() });
                Err(e.into())
            }
        }
    }

    pub(crate) fn set_loading(&self, path: &str) {
        self.slot.send_replace(Slot::Loading { path: path.to_string() });
    }
    pub(crate) fn set_ready(&self, backend: Arc<dyn Backend>) {
        self.slot.send_replace(Slot::Ready(backend));
    }
    pub(crate) fn set_failed(&self, path: &str, error: &str) {
        self.slot.send_replace(Slot::Failed { path: path.to_string(), error: error.to_string() });
    }

    /// The loaded backend, waiting while a model is still loading.
    pub async fn backend(&self) -> Result<Arc<dyn Backend>, UiError> {
        wait_ready(self.slot.subscribe()).await
    }

    pub fn slot_watch(&self) -> SlotWatch {
        SlotWatch(self.slot.subscribe())
    }

    pub fn set_current(&self, cancel: Option<CancelHandle>) {
        if let Ok(mut c) = self.current.lock() {
            *c = cancel;
        }
    }

    /// Stop the prefill that runs (a newer draft, or a send, replaces it) and
    /// wait for its chunk in flight. The returned guard keeps the lane.
    pub async fn settle_prefill(&self) -> (CancelHandle, tokio::sync::MutexGuard<'_, ()>) {
        let fresh = CancelHandle::default();
        if let Ok(mut stop) = self.prefill_stop.lock() {
            std::mem::replace(&mut *stop, fresh.clone()).cancel();
        }
        (fresh, self.prefill_lane.lock().await)
    }

    /// The activation dtype for the loads to come: `auto` (f32 on CPU), `f32`, `f16` or `bf16`.
    pub fn set_activations(&self, name: &str) -> Result<(), UiError> {
        let a = match name {
            "auto" => Activations::Auto,
            "f32" => Activations::F32,
            "f16" => Activations::F16,
            "bf16" => Activations::Bf16,
            other => return Err(UiError::Other(format!("unknown activation type {other:?}: auto, f32, f16 or bf16"))),
        };
        if let Ok(mut current) = self.activations.lock() {
            *current = a;
        }
        Ok(())
    }

    /// Stop the running reply; false when none runs.
    pub fn stop(&self) -> bool {
        match self.current.lock().ok().and_then(|mut c| c.take()) {
            Some(handle) => {
                handle.cancel();
                true
            }
            None => false,
        }
    }
}
