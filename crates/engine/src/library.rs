//! The model library folder: importing a GGUF into it and removing one from
//! it. Every path written is a bare file name joined to the library folder,
//! so nothing here can touch a file outside it.

use std::path::{Path, PathBuf};

use desk_protocol::ModelFacts;

use crate::discover;
use crate::error::EngineError;
use crate::gguf;

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Model(#[from] EngineError),
    #[error("`{0}` is not a model file name in the library (give a bare name such as model.Q4_K_M.gguf)")]
    BadName(String),
    #[error("{0} does not end in .gguf")]
    NotGgufName(String),
    #[error("{0} is already in the library; remove it first")]
    Exists(String),
    #[error("no model named {name} in {dir}")]
    Missing { name: String, dir: String },
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: String, source: std::io::Error },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LibraryError {
    let path = path.display().to_string();
    move |source| LibraryError::Io { what, path, source }
}

/// `$DESK_DATA_DIR/models` (or the platform data folder's).
pub fn library_dir() -> PathBuf {
    discover::data_dir().join("models")
}

/// A bare file name that stays inside the library: no separators, no `..`, no hidden files.
pub fn library_path(dir: &Path, name: &str) -> Result<PathBuf, LibraryError> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || Path::new(name).components().count() != 1;
    if bad {
        return Err(LibraryError::BadName(name.to_string()));
    }
    Ok(dir.join(name))
}

/// How a file entered the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportHow {
    Copy,
    /// A symlink: no second copy of a multi-gigabyte file.
    Link,
}

/// Check `src`'s header (a model this app can run), then copy or link it into `dir`.
pub fn import(src: &Path, dir: &Path, how: ImportHow) -> Result<(PathBuf, ModelFacts), LibraryError> {
    let facts = gguf::inspect(src)?;
    gguf::check_supported(&facts)?;
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().ends_with(".gguf"))
        .ok_or_else(|| LibraryError::NotGgufName(src.display().to_string()))?;
    let dest = library_path(dir, &name)?;
    if dest.symlink_metadata().is_ok() {
        return Err(LibraryError::Exists(dest.display().to_string()));
    }
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    match how {
        ImportHow::Link => {
            let absolute = std::fs::canonicalize(src).map_err(io("cannot resolve", src))?;
            std::os::unix::fs::symlink(&absolute, &dest).map_err(io("cannot link", &dest))?;
        }
        ImportHow::Copy => {
            // A temporary name, so an interrupted import never looks like a model.
            let part = dest.with_extension("gguf.importing");
            std::fs::copy(src, &part).map_err(io("cannot copy to", &part))?;
            std::fs::File::open(&part).and_then(|f| f.sync_all()).map_err(io("cannot sync", &part))?;
            std::fs::rename(&part, &dest).map_err(io("cannot rename", &part))?;
        }
    }
    Ok((dest, facts))
}

/// Delete `name` from `dir`, and any partial download of it. Returns what was removed.
pub fn remove(dir: &Path, name: &str) -> Result<Vec<PathBuf>, LibraryError> {
    let path = library_path(dir, name)?;
    let part = dir.join(format!("{name}.part"));
    let mut removed = Vec::new();
    for p in [path, part] {
        // symlink_metadata: a linked model is removed as a link, never its target.
        if p.symlink_metadata().is_ok() {
            std::fs::remove_file(&p).map_err(io("cannot remove", &p))?;
            removed.push(p);
        }
    }
    if removed.is_empty() {
        return Err(LibraryError::Missing { name: name.to_string(), dir: dir.display().to_string() });
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_library_are_refused() {
        let dir = Path::new("/lib");
        for bad in ["", "..", "../x.gguf", "a/b.gguf", "/etc/passwd", ".hidden.gguf", "a\\b.gguf", "x\0.gguf"] {
            assert!(library_path(dir, bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(library_path(dir, "m.Q4_K_M.gguf").unwrap(), Path::new("/lib/m.Q4_K_M.gguf"));
    }
}
