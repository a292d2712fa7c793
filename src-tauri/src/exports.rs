//! Where the window's exports go: the user's Downloads folder (or
//! `DESK_EXPORT_DIR`), under a name that never overwrites an earlier one.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use desk_protocol::{ConversationId, ExportFormat, Exported};

use crate::error::UiError;
use crate::history::History;

pub const EXPORT_DIR_ENV: &str = "DESK_EXPORT_DIR";

pub fn export_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(Path::to_path_buf))
        .unwrap_or_else(|| desk_engine::discover::data_dir().join("exports"))
}

/// Exports one chat (`Some(id)`) or all, in `format`, to a new file.
pub fn export(history: &History, id: Option<ConversationId>, title: &str, format: ExportFormat) -> Result<Exported, UiError> {
    let dir = export_dir();
    std::fs::create_dir_all(&dir).map_err(|e| UiError::Other(format!("cannot create {}: {e}", dir.display())))?;
    let stem = match id {
        Some(_) => format!("codellama-desk-{}", slug(title)),
        None => "codellama-desk-history".to_string(),
    };
    let path = free_name(&dir, &stem, format.extension());
    let ids = id.map(|id| vec![id]);
    // Written beside the target and renamed: a failed export leaves no half file.
    let partial = path.with_extension(format!("{}.partial", format.extension()));
    let result: Result<usize, UiError> = (|| {
        let file = std::fs::File::create(&partial).map_err(|e| UiError::Other(format!("cannot create {}: {e}", partial.display())))?;
        let mut out = BufWriter::new(file);
        let n = history.export(ids.as_deref(), format, &mut out)?;
        out.flush().map_err(|e| UiError::Other(format!("cannot write {}: {e}", partial.display())))?;
        drop(out);
        std::fs::rename(&partial, &path).map_err(|e| UiError::Other(format!("cannot move the export to {}: {e}", path.display())))?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let conversations = result?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Exported { path: path.display().to_string(), conversations, bytes })
}

/// A file-name-safe, short form of a title.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.chars().count() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "chat".into()
    } else {
        out
    }
}

fn free_name(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..).map(|n| dir.join(format!("{stem}-{n}.{ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_never_overwrite() {
        assert_eq!(slug("Reverse a string in Python, please"), "reverse-a-string-in-python-please");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("  "), "chat");
        let dir = tempfile::tempdir().unwrap();
        let a = free_name(dir.path(), "x", "md");
        std::fs::write(&a, "1").unwrap();
        let b = free_name(dir.path(), "x", "md");
        assert_eq!(b.file_name().unwrap(), "x-2.md");
    }
}
