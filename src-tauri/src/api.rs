//! The "Local API" switch: `desk-api` serving the model in the window's slot,
//! so editors and the window share one copy of the weights (and one queue).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use desk_api::ModelSource;
use desk_engine::Backend;
use desk_protocol::LocalApi;
use futures::future::BoxFuture;

use crate::error::UiError;
use crate::state::{AppState, SlotWatch};

/// `DESK_API_PORT` picks another port (0: any free one, for tests).
fn port() -> u16 {
    std::env::var("DESK_API_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(desk_api::DEFAULT_PORT)
}

impl ModelSource for SlotWatch {
    fn backend(&self) -> BoxFuture<'_, Result<Arc<dyn Backend>, String>> {
        Box::pin(async move { self.wait().await.map_err(|e| e.to_string()) })
    }
    fn ready(&self) -> Option<Arc<dyn Backend>> {
        self.now()
    }
}

impl AppState {
    /// Turn the API on (idempotent) or off; on, what clients need.
    pub async fn set_local_api(&self, on: bool) -> Result<Option<LocalApi>, UiError> {
        let mut running = self.local_api.lock().await;
        if !on {
            if let Some((server, _)) = running.take() {
                server.stop().await;
            }
            return Ok(None);
        }
        if let Some((_, shown)) = running.as_ref() {
            return Ok(Some(shown.clone()));
        }
        let given = std::env::var("DESK_API_KEY").ok();
        let (key, key_source) = desk_api::key::resolve(given.as_deref(), &desk_engine::discover::data_dir()).map_err(api_error)?;
        // The window's API is for this machine only.
        let config = desk_api::Config { host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: port(), key: key.clone(), key_source };
        let server = desk_api::start(config, Arc::new(self.slot_watch()), None).await.map_err(api_error)?;
        let shown = LocalApi { url: server.url(), key };
        *running = Some((server, shown.clone()));
        Ok(Some(shown))
    }

    pub async fn local_api(&self) -> Option<LocalApi> {
        self.local_api.lock().await.as_ref().map(|(_, shown)| shown.clone())
    }
}

fn api_error(e: desk_api::ApiError) -> UiError {
    UiError::Other(e.to_string())
}
