//! Import and removal: the only places the CLI writes into the library folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use desk_engine::{discover, gguf};

pub fn library_dir() -> PathBuf {
    discover::data_dir().join("models")
}

/// A bare file name that stays inside the library: no separators, no `..`, no hidden files.
fn library_path(name: &str) -> Result<PathBuf> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || Path::new(name).components().count() != 1;
    if bad {
        bail!("`{name}` is not a model file name in the library (give a bare name such as model.Q4_K_M.gguf)");
    }
    Ok(library_dir().join(name))
}

pub fn import(src: &Path, link: bool, json: bool) -> Result<()> {
    let facts = gguf::inspect(src)?;
    gguf::check_supported(&facts)?;
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().ends_with(".gguf"))
        .with_context(|| format!("{} does not end in .gguf", src.display()))?;
    let dest = library_path(&name)?;
    if dest.exists() {
        bail!("{} is already in the library; remove it first with `desk models rm {name}`", dest.display());
    }
    std::fs::create_dir_all(library_dir()).with_context(|| format!("cannot create {}", library_dir().display()))?;
    if link {
        let absolute = std::fs::canonicalize(src)?;
        std::os::unix::fs::symlink(&absolute, &dest).with_context(|| format!("cannot link {}", dest.display()))?;
    } else {
        // Copy under a temporary name so an interrupted import never looks like a model.
        let part = dest.with_extension("gguf.importing");
        std::fs::copy(src, &part).with_context(|| format!("cannot copy {} to {}", src.display(), part.display()))?;
        std::fs::File::open(&part)?.sync_all()?;
        std::fs::rename(&part, &dest)?;
    }
    let how = if link { "linked" } else { "copied" };
    if json {
        crate::out::print_line(&serde_json::json!({ "path": dest, "how": how, "facts": facts }).to_string())
    } else {
        crate::out::print_line(&format!("{how} into {}\n  {}", dest.display(), super::describe(&facts)))
    }
}

pub fn remove(name: &str, json: bool) -> Result<()> {
    let path = library_path(name)?;
    let part = path.with_file_name(format!("{name}.part"));
    let mut removed = Vec::new();
    for p in [&path, &part] {
        // symlink_metadata: a linked model is removed as a link, never its target.
        if std::fs::symlink_metadata(p).is_ok() {
            std::fs::remove_file(p).with_context(|| format!("cannot remove {}", p.display()))?;
            removed.push(p.clone());
        }
    }
    if removed.is_empty() {
        bail!("no model named {name} in {}", library_dir().display());
    }
    if json {
        crate::out::print_line(&serde_json::json!({ "removed": removed }).to_string())
    } else {
        crate::out::print_line(&format!("removed {}", removed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")))
    }
}
