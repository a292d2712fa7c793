//! The window's shared state: what every component reads and writes,
//! provided once by `App` and taken with `expect_context::<Ctx>()`.

use desk_protocol::{LoadProgress, LoadStage, ModelEntry, ModelFacts, ModelStatus};
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::facts::Mode;
use crate::ipc::{invoke, Channel};
use crate::session::{Session, Settings};

#[derive(Clone, Copy)]
pub struct Ctx {
    pub sessions: RwSignal<Vec<Session>>,
    pub current: RwSignal<u64>,
    pub settings: RwSignal<Settings>,
    pub status: RwSignal<ModelStatus>,
    pub stage: RwSignal<Option<LoadStage>>,
    pub busy: RwSignal<bool>,
    pub next_id: RwSignal<u64>,
    pub composer: NodeRef<Textarea>,
    pub search: NodeRef<leptos::html::Input>,
    /// The GGUFs in the models folders, with their header facts and fit.
    pub models: RwSignal<Vec<ModelEntry>>,
    pub mode: RwSignal<Mode>,
    /// The context asked for at the last load; `None` = the model's own.
    pub context: RwSignal<Option<usize>>,
    /// Settings → Run code is on: Python blocks in replies get a Run button.
    pub run_enabled: RwSignal<bool>,
    /// Bumped when stored chats change outside a reply (rename, delete, import).
    pub history_rev: RwSignal<u64>,
}

impl Ctx {
    pub fn new() -> Self {
        Ctx {
            sessions: RwSignal::new(vec![Session::new(1)]),
            current: RwSignal::new(1),
            settings: RwSignal::new(Settings::default()),
            status: RwSignal::new(ModelStatus::NoModel),
            stage: RwSignal::new(None),
            busy: RwSignal::new(false),
            next_id: RwSignal::new(1),
            composer: NodeRef::new(),
            search: NodeRef::new(),
            models: RwSignal::new(Vec::new()),
            mode: RwSignal::new(Mode::Chat),
            context: RwSignal::new(None),
            run_enabled: RwSignal::new(false),
            history_rev: RwSignal::new(0),
        }
    }

    pub fn session(&self) -> Option<Session> {
        let id = self.current.get();
        self.sessions.with(|s| s.iter().find(|x| x.id == id).cloned())
    }
    pub fn session_untracked(&self) -> Option<Session> {
        let id = self.current.get_untracked();
        self.sessions.with_untracked(|s| s.iter().find(|x| x.id == id).cloned())
    }
    pub fn new_chat(&self) {
        let id = self.next_id.get_untracked() + 1;
        self.next_id.set(id);
        self.sessions.update(|s| s.insert(0, Session::new(id)));
        self.current.set(id);
        self.mode.set(Mode::Chat);
        self.focus_composer();
    }
    pub fn focus_composer(&self) {
        if let Some(el) = self.composer.get_untracked() {
            let _ = el.focus();
        }
    }
    /// The path of the model loaded, loading or last tried.
    pub fn model_path(&self) -> Option<String> {
        match self.status.get() {
            ModelStatus::Ready { facts, .. } => Some(facts.path),
            ModelStatus::Loading { path } | ModelStatus::Failed { path, .. } => Some(path).filter(|p| !p.is_empty()),
            ModelStatus::NoModel => None,
        }
    }
    /// Header facts of the current model file, from the models list: the
    /// file's own (a scripted test backend reports other facts when loaded).
    pub fn model_file_facts(&self) -> Option<ModelFacts> {
        let path = self.model_path()?;
        self.models.with(|m| m.iter().find(|e| e.path == path).and_then(|e| e.facts.clone()))
    }
    /// What the loaded model can do; `None` until one is ready.
    pub fn loaded_facts(&self) -> Option<ModelFacts> {
        match self.status.get() {
            ModelStatus::Ready { facts, .. } => Some(facts),
            _ => None,
        }
    }
    pub fn refresh_models(&self) {
        let models = self.models;
        spawn_local(async move {
            match invoke::<Vec<ModelEntry>>("list_models", &(), &[]).await {
                Ok(list) => models.set(list),
                Err(e) => leptos::logging::warn!("cannot list models: {e}"),
            }
        });
    }
}

/// Load `path` (or the default model) at `context` tokens (or the model's
/// own), with progress shown in the header.
/// `force` loads even what the memory estimate says will not fit (the user confirmed).
pub fn load_model(ctx: Ctx, path: Option<String>, context: Option<usize>, force: bool) {
    ctx.status.set(ModelStatus::Loading { path: path.clone().unwrap_or_default() });
    ctx.context.set(context);
    spawn_local(async move {
        let stage = ctx.stage;
        let channel = Channel::new(move |p: LoadProgress| stage.set(Some(p.stage)));
        #[derive(serde::Serialize)]
        struct Args {
            path: Option<String>,
            context: Option<usize>,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            force: bool,
        }
        let result = match &channel {
            Ok(ch) => invoke::<ModelFacts>("load_model", &Args { path, context, force }, &[("onProgress", ch)]).await,
            Err(e) => Err(e.clone()),
        };
        drop(channel);
        if let Err(e) = result {
            leptos::logging::warn!("model load failed: {e}");
        }
        if let Ok(status) = invoke::<ModelStatus>("model_status", &(), &[]).await {
            ctx.status.set(status);
        }
    });
}
