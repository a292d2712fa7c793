//! `desk models import` and `rm`: thin over the engine's library module.

use std::path::Path;

use anyhow::Result;
use desk_engine::library::{self, ImportHow};

pub use desk_engine::library::library_dir;

pub fn import(src: &Path, link: bool, json: bool) -> Result<()> {
    let how = if link { ImportHow::Link } else { ImportHow::Copy };
    let (dest, facts) = library::import(src, &library_dir(), how)?;
    let word = if link { "linked" } else { "copied" };
    if json {
        crate::out::print_line(&serde_json::json!({ "path": dest, "how": word, "facts": facts }).to_string())
    } else {
        crate::out::print_line(&format!("{word} into {}\n  {}", dest.display(), super::describe(&facts)))
    }
}

pub fn remove(name: &str, json: bool) -> Result<()> {
    let removed = library::remove(&library_dir(), name)?;
    if json {
        crate::out::print_line(&serde_json::json!({ "removed": removed }).to_string())
    } else {
        crate::out::print_line(&format!("removed {}", removed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")))
    }
}
