//! Commands for daily use: managing stored chats, attaching files, rendering
//! questions, running a reply's code block. Thin: the work is in the crates.

use desk_protocol::{Attachment, ConversationId, Document, ExportFormat, Exported, MessageId, RunEnd, RunEvent, RunSettings, StoreNotice};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::UiError;
use crate::state::AppState;

#[tauri::command]
pub fn history_rename(state: State<'_, AppState>, id: ConversationId, title: String) -> Result<String, UiError> {
    state.history()?.rename(id, &title)
}

#[tauri::command]
pub fn history_delete(state: State<'_, AppState>, id: ConversationId) -> Result<(), UiError> {
    state.history()?.delete(id)
}

/// One chat (`id`) or every chat, to a new file in Downloads.
#[tauri::command]
pub fn history_export(state: State<'_, AppState>, id: Option<ConversationId>, title: String, format: ExportFormat) -> Result<Exported, UiError> {
    crate::exports::export(state.history()?, id, &title, format)
}

/// A JSON export's text (read by the window from the file the user chose).
#[tauri::command]
pub fn history_import(state: State<'_, AppState>, json: String) -> Result<usize, UiError> {
    Ok(state.history()?.import(&json)?.len())
}

/// Documents for a page of earlier messages of a long chat.
#[tauri::command]
pub fn history_documents(state: State<'_, AppState>, id: ConversationId, messages: Vec<MessageId>) -> Result<Vec<Document>, UiError> {
    state.history()?.documents(id, &messages)
}

#[tauri::command]
pub fn history_notice(state: State<'_, AppState>) -> Option<StoreNotice> {
    state.history.as_ref().and_then(|h| h.notice.clone())
}

#[tauri::command]
pub fn render_question(text: String) -> Document {
    desk_render::render_question(&text)
}

/// A dropped or chosen file's bytes, as read by the window.
#[tauri::command]
pub fn attach_file(name: String, bytes: Vec<u8>) -> Result<Attachment, UiError> {
    desk_render::attachment(&name, &bytes).map_err(|e| UiError::Other(e.to_string()))
}

#[tauri::command]
pub fn run_settings(state: State<'_, AppState>) -> RunSettings {
    state.runner.settings()
}

#[tauri::command]
pub fn set_run_code(state: State<'_, AppState>, on: bool) -> Result<RunSettings, UiError> {
    state.runner.set_enabled(on)
}

/// Run a Python block from a reply in the sandbox, its output streamed.
#[tauri::command]
pub async fn run_code(state: State<'_, AppState>, code: String, on_event: Channel<RunEvent>) -> Result<RunEnd, UiError> {
    let runner = state.runner.clone();
    tokio::task::spawn_blocking(move || {
        runner.run(&code, &mut |event| {
            let _ = on_event.send(event);
        })
    })
    .await
    .map_err(|e| UiError::Other(format!("the run crashed: {e}")))?
}

#[tauri::command]
pub fn stop_code(state: State<'_, AppState>) -> bool {
    state.runner.stop()
}
