//! Where models live and which one to use by default.

use std::path::{Path, PathBuf};

use desk_protocol::ModelFacts;

use crate::error::EngineError;
use crate::gguf;

/// Relocates everything the app writes (history, settings, downloaded models).
pub const DATA_DIR_ENV: &str = "DESK_DATA_DIR";

/// `$DESK_DATA_DIR`, else the platform data folder (e.g. ~/.local/share/codellama-desk).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("dev", "codellama-desk", "codellama-desk")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".codellama-desk"))
}

/// Folders searched for GGUF files, in order: the project's `models/` (the
/// current folder's, for development) and the data folder's `models/`.
pub fn model_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("models"), data_dir().join("models")]
}

/// Every `.gguf` file directly in `dirs`, sorted by name within each folder,
/// with its header facts or the reason it cannot be used.
pub fn list_models(dirs: &[PathBuf]) -> Vec<(PathBuf, Result<ModelFacts, EngineError>)> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("gguf")))
            .collect();
        paths.sort();
        out.extend(paths.into_iter().map(|p| {
            let facts = gguf::inspect(&p);
            (p, facts)
        }));
    }
    out
}

/// The first usable GGUF in `dirs`.
pub fn default_model(dirs: &[PathBuf]) -> Result<PathBuf, EngineError> {
    list_models(dirs)
        .into_iter()
        .find(|(_, facts)| facts.as_ref().is_ok_and(|f| gguf::check_supported(f).is_ok()))
        .map(|(p, _)| p)
        .ok_or_else(|| EngineError::NoModel(dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")))
}

/// `--model PATH` if given, else the default model.
pub fn resolve_model(explicit: Option<&Path>) -> Result<PathBuf, EngineError> {
    match explicit {
        Some(p) => Ok(p.to_path_buf()),
        None => default_model(&model_dirs()),
    }
}
