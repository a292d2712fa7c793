//! The model picker's "Remote server": test a server, then use one of its
//! models in the window's slot, where the chat, the history and the local API
//! find it as they find a loaded GGUF.

use std::sync::Arc;

use desk_protocol::{ModelFacts, RemoteRequest, RemoteSettings};
use desk_remote::{saved, Remote, RemoteConfig};

use crate::error::UiError;
use crate::state::AppState;

fn config(request: &RemoteRequest, models_dirs: &[std::path::PathBuf]) -> RemoteConfig {
    let dir = desk_engine::discover::data_dir();
    let mut config = RemoteConfig::new(request.url.trim().to_string());
    // An empty key field means "the one saved", so the key need not be typed again.
    config.key = request.key.clone().filter(|k| !k.trim().is_empty()).or_else(|| saved::key(&dir));
    config.model = request.model.clone().filter(|m| !m.is_empty());
    config.search = models_dirs.to_vec();
    config.ca = std::env::var_os("DESK_REMOTE_CA").map(std::path::PathBuf::from);
    if let Some(s) = std::env::var("DESK_REMOTE_STALL_S").ok().and_then(|s| s.parse().ok()) {
        config.stall = std::time::Duration::from_secs(s);
    }
    config
}

impl AppState {
    pub fn remote_settings(&self) -> RemoteSettings {
        saved::load(&desk_engine::discover::data_dir()).unwrap_or_default()
    }

    /// The models a server lists ("Test connection").
    pub async fn remote_models(&self, request: RemoteRequest) -> Result<Vec<String>, UiError> {
        let config = config(&request, &self.models_dirs);
        Ok(desk_remote::list_models(&config, &mut |_| {}).await?)
    }

    /// Use `request`'s server and model from now on; saved (key apart, 0600) once it works.
    pub async fn use_remote(&self, request: RemoteRequest) -> Result<ModelFacts, UiError> {
        let config = config(&request, &self.models_dirs);
        let shown = config.url.clone();
        self.set_loading(&shown);
        match Remote::connect(config, &mut |_| {}).await {
            Ok(remote) => {
                let dir = desk_engine::discover::data_dir();
                saved::save(&dir, &shown, Some(remote.model()), request.key.as_deref().filter(|k| !k.trim().is_empty()))
                    .map_err(|e| UiError::Other(format!("connected, but the server could not be saved in {}: {e}", dir.display())))?;
                let backend: Arc<dyn desk_engine::Backend> = Arc::new(remote);
                let facts = backend.facts();
                self.set_ready(backend);
                Ok(facts)
            }
            Err(e) => {
                self.set_failed(&shown, &e.to_string());
                Err(e.into())
            }
        }
    }
}
