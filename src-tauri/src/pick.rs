//! The OS file dialog, opened from Rust: the window gets a command that picks
//! and reads one file, never a general file-system or dialog API of its own.

use std::path::PathBuf;

use desk_protocol::{Attachment, ModelEntry};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::UiError;
use crate::state::AppState;

/// `None` when the user cancels the dialog.
async fn pick<R: Runtime>(app: &AppHandle<R>, title: &str, filter: Option<(&str, &[&str])>) -> Result<Option<PathBuf>, UiError> {
    let mut dialog = app.dialog().file().set_title(title);
    if let Some((name, extensions)) = filter {
        dialog = dialog.add_filter(name, extensions);
    }
    // The blocking pick waits on the GTK main loop: it must not hold an async worker.
    let picked = tokio::task::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|e| UiError::Other(format!("the file dialog crashed: {e}")))?;
    picked
        .map(|p| p.into_path().map_err(|e| UiError::Other(format!("that file cannot be opened here: {e}"))))
        .transpose()
}

/// Attach a file chosen in the OS dialog: read, checked and fenced like a dropped one.
#[tauri::command]
pub async fn pick_attachment<R: Runtime>(app: AppHandle<R>) -> Result<Option<Attachment>, UiError> {
    let Some(path) = pick(&app, "Attach a file to the question", None).await? else {
        return Ok(None);
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    read_attachment(&path, &name).map(Some)
}

fn read_attachment(path: &std::path::Path, name: &str) -> Result<Attachment, UiError> {
    let refused = |e: desk_render::AttachError| UiError::Other(e.to_string());
    // The real size in the refusal, not the capped read's.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.len() > desk_render::ATTACH_MAX_BYTES as u64 {
            return Err(refused(desk_render::AttachError::TooBig { name: name.to_string(), size: meta.len() }));
        }
    }
    let bytes = read_capped(path)?;
    desk_render::attachment(name, &bytes).map_err(refused)
}

/// Import a GGUF chosen in the OS dialog into the model library (copied).
#[tauri::command]
pub async fn pick_model<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<Option<ModelEntry>, UiError> {
    let Some(path) = pick(&app, "Import a GGUF model", Some(("GGUF models", &["gguf"]))).await? else {
        return Ok(None);
    };
    let library = state.library.clone();
    let path = path.to_string_lossy().into_owned();
    tokio::task::spawn_blocking(move || crate::library::import(&library, &path, false))
        .await
        .map_err(|e| UiError::Other(format!("the import crashed: {e}")))?
        .map(Some)
}

/// Reads at most one byte past the attachment limit, so a huge file is refused
/// by size without being read whole.
fn read_capped(path: &std::path::Path) -> Result<Vec<u8>, UiError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| UiError::Other(format!("{} cannot be read: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(desk_render::ATTACH_MAX_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_chosen_file_is_refused_by_size_without_reading_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        std::fs::write(&path, vec![b'x'; 3 << 20]).unwrap();
        let bytes = read_capped(&path).unwrap();
        assert_eq!(bytes.len(), desk_render::ATTACH_MAX_BYTES + 1);
        let refused = read_attachment(&path, "big.log").unwrap_err().to_string();
        assert!(refused.contains("3145728 bytes") && refused.contains("1 MiB"), "{refused}");
        std::fs::write(&path, b"fn main() {}\n").unwrap();
        assert_eq!(read_attachment(&path, "main.rs").unwrap().language.as_deref(), Some("Rust"));
        let missing = read_capped(&dir.path().join("gone.txt")).unwrap_err().to_string();
        assert!(missing.contains("gone.txt") && missing.contains("cannot be read"), "{missing}");
    }
}
