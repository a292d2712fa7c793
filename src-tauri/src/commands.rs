//! Thin commands: take state, call a crate, map the error.

use std::path::PathBuf;

use desk_protocol::{Conversation, LoadProgress, ModelEntry, ModelFacts, ModelStatus, ReplyUpdate, SendRequest};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::UiError;
use crate::reply::run_reply;
use crate::state::AppState;

#[tauri::command]
pub fn list_models(state: State<'_, AppState>) -> Vec<ModelEntry> {
    state.models()
}

#[tauri::command]
pub fn model_status(state: State<'_, AppState>) -> ModelStatus {
    state.status()
}

#[tauri::command]
pub async fn load_model(
    state: State<'_, AppState>,
    path: Option<String>,
    on_progress: Channel<LoadProgress>,
) -> Result<ModelFacts, UiError> {
    let progress = Box::new(move |p: LoadProgress| {
        let _ = on_progress.send(p);
    });
    state.load(path.map(PathBuf::from), progress).await
}

#[tauri::command]
pub async fn send(state: State<'_, AppState>, request: SendRequest, on_event: Channel<ReplyUpdate>) -> Result<(), UiError> {
    let backend = state.backend().await?;
    run_reply(backend.as_ref(), &request, |cancel| state.set_current(cancel), |update| {
        let _ = on_event.send(update);
    })
    .await
}

#[tauri::command]
pub fn stop(state: State<'_, AppState>) -> bool {
    state.stop()
}

#[tauri::command]
pub async fn count_tokens(state: State<'_, AppState>, conversation: Conversation) -> Result<usize, UiError> {
    Ok(state.backend().await?.count_tokens(&conversation).await?)
}

/// External links open in the system browser, and only http/https ones.
#[tauri::command]
pub fn open_link(url: String) -> Result<(), UiError> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(UiError::LinkRefused(url));
    }
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    std::process::Command::new(opener).arg(url.trim()).spawn().map(|_| ()).map_err(|e| UiError::Other(format!("cannot open the browser: {e}")))
}
