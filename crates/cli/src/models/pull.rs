//! `desk models catalog` and `desk models pull NAME`: Code Llama files from
//! the hub (or $DESK_HF_ENDPOINT) into the library, resumable and verified.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use desk_models::{catalogue, Downloader, Hub, Outcome};
use indicatif::{ProgressBar, ProgressStyle};

use super::library::library_dir;

pub fn catalog(json: bool) -> Result<()> {
    let all = catalogue::all();
    if json {
        return crate::out::print_line(&serde_json::to_string(all)?);
    }
    for e in all {
        let infill = if e.infill { " · infill" } else { "" };
        crate::out::print_line(&format!(
            "{:<32} {:>6.2} GB  {}/{}{infill}",
            e.name,
            e.approx_bytes as f64 / 1e9,
            e.repo,
            e.file
        ))?;
    }
    Ok(())
}

pub fn pull(name: &str, json: bool) -> Result<()> {
    let Some(entry) = catalogue::find(name) else {
        bail!("`{name}` is not in the catalogue; `desk models catalog` lists the names");
    };
    let dir = library_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Ctrl-C cancels between chunks and keeps the .part for the next `pull`.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let bar = if json { ProgressBar::hidden() } else { ProgressBar::new(entry.approx_bytes) };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(entry.file.clone());
    let hub = Hub::from_env();
    let shown_endpoint = hub.endpoint().to_string();
    let result = tokio::task::block_in_place(|| {
        Downloader::new(hub).download(entry, &dir, &mut |p| {
            bar.set_length(p.total);
            bar.set_position(p.downloaded);
        }, &cancel)
    });
    bar.finish_and_clear();
    let done = result.with_context(|| format!("downloading {} from {shown_endpoint}", entry.file))?;
    let how = match done.outcome {
        Outcome::AlreadyPresent => "already present".to_string(),
        Outcome::Downloaded { resumed_from: 0 } => "downloaded".to_string(),
        Outcome::Downloaded { resumed_from } => format!("downloaded (resumed at {resumed_from} bytes)"),
    };
    if json {
        crate::out::print_line(
            &serde_json::json!({ "name": entry.name, "path": done.path, "size": done.size, "sha256": done.sha256, "outcome": how }).to_string(),
        )
    } else {
        crate::out::print_line(&format!("{how}: {} ({} bytes, sha256 {})", done.path.display(), done.size, done.sha256))
    }
}
