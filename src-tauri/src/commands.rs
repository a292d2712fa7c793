//! Thin commands: take state, call a crate, map the error.

use std::path::PathBuf;

use desk_protocol::{
    CatalogEntry, CompleteRequest, Conversation, ConversationId, ConversationSummary, FillRequest, FitEstimate, LoadProgress, LocalApi, ModelEntry, ModelFacts, ModelStatus,
    OpenedConversation, Prefill, PullProgress, RemoteRequest, RemoteSettings, ReplyUpdate, SearchResults, SendRequest,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::UiError;
use crate::render::Streaming;
use crate::reply::{run_plain, run_reply_with};
use crate::state::AppState;

#[tauri::command]
pub fn list_models(state: State<'_, AppState>) -> Vec<ModelEntry> {
    state.models()
}

/// The saved remote server (never its key).
#[tauri::command]
pub fn remote_settings(state: State<'_, AppState>) -> RemoteSettings {
    state.remote_settings()
}

/// "Test connection": the models the server lists.
#[tauri::command]
pub async fn remote_models(state: State<'_, AppState>, request: RemoteRequest) -> Result<Vec<String>, UiError> {
    state.remote_models(request).await
}

/// Use a server's model in the window, as a loaded GGUF is used.
#[tauri::command]
pub async fn use_remote(state: State<'_, AppState>, request: RemoteRequest) -> Result<ModelFacts, UiError> {
    state.use_remote(request).await
}

#[tauri::command]
pub fn model_status(state: State<'_, AppState>) -> ModelStatus {
    state.status()
}

#[tauri::command]
pub async fn load_model(
    state: State<'_, AppState>,
    path: Option<String>,
    context: Option<usize>,
    force: Option<bool>,
    on_progress: Channel<LoadProgress>,
) -> Result<ModelFacts, UiError> {
    let progress = Box::new(move |p: LoadProgress| {
        let _ = on_progress.send(p);
    });
    state.load_request(path.map(PathBuf::from), context, force.unwrap_or(false), progress).await
}

/// Memory a model needs at `context` tokens, before anything is loaded.
#[tauri::command]
pub fn estimate_fit(state: State<'_, AppState>, path: String, context: Option<usize>) -> Result<FitEstimate, UiError> {
    state.estimate(std::path::Path::new(&path), context)
}

/// Continue the user's text (completion mode), streamed like a reply.
#[tauri::command]
pub async fn complete(state: State<'_, AppState>, request: CompleteRequest, on_event: Channel<ReplyUpdate>) -> Result<(), UiError> {
    let backend = state.backend().await?;
    let started = backend.complete(&request.text, &request.params).await?;
    run_plain(&state, started, &on_event).await;
    Ok(())
}

/// Fill the hole between a prefix and a suffix (Code Llama infilling).
#[tauri::command]
pub async fn fill(state: State<'_, AppState>, request: FillRequest, on_event: Channel<ReplyUpdate>) -> Result<(), UiError> {
    let backend = state.backend().await?;
    let started = backend.infill(&request.prefix, &request.suffix, &request.params).await?;
    run_plain(&state, started, &on_event).await;
    Ok(())
}

#[tauri::command]
pub async fn send(state: State<'_, AppState>, request: SendRequest, on_event: Channel<ReplyUpdate>) -> Result<(), UiError> {
    let backend = state.backend().await?;
    // The prefill's chunk in flight finishes first, so the reply finds it cached.
    drop(state.settle_prefill().await);
    let recorder = match &state.history {
        Some(h) => h.start(&request, &backend.facts().file_name).unwrap_or_else(|e| {
            eprintln!("{e}; this reply is not saved");
            None
        }),
        None => None,
    };
    let mut renderer = Streaming::default();
    let mut sink = |update| {
        let _ = on_event.send(update);
    };
    run_reply_with(backend.as_ref(), &request, &mut renderer, recorder, |cancel| state.set_current(cancel), &mut sink).await
}

#[tauri::command]
pub fn history_list(state: State<'_, AppState>) -> Result<Vec<ConversationSummary>, UiError> {
    state.history()?.list()
}

#[tauri::command]
pub fn history_search(state: State<'_, AppState>, query: String) -> Result<SearchResults, UiError> {
    state.history()?.search(&query)
}

#[tauri::command]
pub fn history_open(state: State<'_, AppState>, id: ConversationId, tail: Option<usize>) -> Result<OpenedConversation, UiError> {
    state.history()?.open_tail(id, tail)
}

#[tauri::command]
pub fn stop(state: State<'_, AppState>) -> bool {
    state.stop()
}

#[tauri::command]
pub async fn count_tokens(state: State<'_, AppState>, conversation: Conversation) -> Result<usize, UiError> {
    Ok(state.backend().await?.count_tokens(&conversation).await?)
}

/// The activation dtype for the next load (the UI reloads the model after it).
#[tauri::command]
pub fn set_activations(state: State<'_, AppState>, dtype: String) -> Result<(), UiError> {
    state.set_activations(&dtype)
}

/// Settings → Local API: serve the window's model to editors on 127.0.0.1, or stop.
#[tauri::command]
pub async fn set_local_api(state: State<'_, AppState>, on: bool) -> Result<Option<LocalApi>, UiError> {
    state.set_local_api(on).await
}

#[tauri::command]
pub async fn local_api(state: State<'_, AppState>) -> Result<Option<LocalApi>, UiError> {
    Ok(state.local_api().await)
}

/// Compute the prompt a draft will become, as far as it is stable, while the
/// user is still typing. A newer call or a send stops it.
#[tauri::command]
pub async fn prefill(state: State<'_, AppState>, conversation: Conversation, draft: String, on_progress: Channel<Prefill>) -> Result<Prefill, UiError> {
    let backend = state.backend().await?;
    let (stop, _lane) = state.settle_prefill().await;
    let progress = Box::new(move |p: Prefill| {
        let _ = on_progress.send(p);
    });
    Ok(backend.prefill(&conversation, &draft, &stop, progress).await?)
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

/// The Code Llama files the app can download, marked when already present.
#[tauri::command]
pub fn catalog(state: State<'_, AppState>) -> Vec<CatalogEntry> {
    crate::library::catalog(&state.library)
}

/// Download a catalogue model into the library (resumable, SHA-256 checked).
#[tauri::command]
pub async fn pull_model(state: State<'_, AppState>, name: String, on_progress: Channel<PullProgress>) -> Result<String, UiError> {
    let progress = move |p: PullProgress| {
        let _ = on_progress.send(p);
    };
    let path = crate::library::pull(&state.downloads, state.library.clone(), &name, progress).await?;
    Ok(path.display().to_string())
}

/// Stop the running download; its partial file is kept for a later resume.
#[tauri::command]
pub fn cancel_pull(state: State<'_, AppState>) -> bool {
    state.downloads.cancel()
}

/// Check a GGUF on disk and copy (or link) it into the library. Copying
/// gigabytes runs on a blocking thread, never the window's.
#[tauri::command]
pub async fn import_model(state: State<'_, AppState>, path: String, link: bool) -> Result<ModelEntry, UiError> {
    let library = state.library.clone();
    tokio::task::spawn_blocking(move || crate::library::import(&library, &path, link))
        .await
        .map_err(|e| UiError::Other(format!("the import crashed: {e}")))?
}

/// Delete a model from the library folder (never a file elsewhere).
#[tauri::command]
pub async fn remove_model(state: State<'_, AppState>, file_name: String) -> Result<(), UiError> {
    let library = state.library.clone();
    tokio::task::spawn_blocking(move || crate::library::remove(&library, &file_name))
        .await
        .map_err(|e| UiError::Other(format!("the removal crashed: {e}")))?
}
