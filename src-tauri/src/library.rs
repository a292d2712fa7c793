//! The model library from the window: the Code Llama catalogue, downloads
//! with progress and cancel, import and removal. The only code in the app
//! that reaches the network, and only when the user asks for a download.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use desk_engine::library::{self, ImportHow};
use desk_protocol::{CatalogEntry, Flavour, ModelEntry, PullProgress};

use crate::error::UiError;

/// The running download's cancel flag (one download at a time).
#[derive(Default)]
pub struct Downloads {
    current: Mutex<Option<Arc<AtomicBool>>>,
}

impl Downloads {
    pub fn cancel(&self) -> bool {
        match self.current.lock().ok().and_then(|c| c.clone()) {
            Some(flag) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    fn begin(&self) -> Result<Arc<AtomicBool>, UiError> {
        let mut current = self.current.lock().map_err(|_| UiError::Other("download state is poisoned".into()))?;
        if current.is_some() {
            return Err(UiError::Other("a download is already running; wait for it or cancel it".into()));
        }
        let flag = Arc::new(AtomicBool::new(false));
        *current = Some(flag.clone());
        Ok(flag)
    }

    fn end(&self) {
        if let Ok(mut c) = self.current.lock() {
            *c = None;
        }
    }
}

fn flavour(f: desk_models::Flavour) -> Flavour {
    match f {
        desk_models::Flavour::Base => Flavour::Base,
        desk_models::Flavour::Python => Flavour::Python,
        desk_models::Flavour::Instruct => Flavour::Instruct,
    }
}

pub fn catalog(dir: &Path) -> Vec<CatalogEntry> {
    desk_models::catalogue::all()
        .iter()
        .map(|e| CatalogEntry {
            name: e.name.clone(),
            repo: e.repo.clone(),
            file: e.file.clone(),
            flavour: flavour(e.flavour),
            size_b: e.size_b,
            quant: e.quant.label().to_string(),
            approx_bytes: e.approx_bytes,
            infill: e.infill,
            present: dir.join(&e.file).exists(),
        })
        .collect()
}

/// Download `name` into `dir` on a blocking thread, reporting progress.
pub async fn pull(
    downloads: &Downloads,
    dir: PathBuf,
    name: &str,
    mut progress: impl FnMut(PullProgress) + Send + 'static,
) -> Result<PathBuf, UiError> {
    let entry = desk_models::catalogue::find(name).ok_or_else(|| UiError::Other(format!("`{name}` is not in the catalogue")))?;
    let cancel = downloads.begin()?;
    let result = tokio::task::spawn_blocking(move || {
        desk_models::download(entry, &dir, &mut |p| progress(PullProgress { downloaded: p.downloaded, total: p.total }), &cancel)
    })
    .await;
    downloads.end();
    match result {
        Ok(Ok(done)) => Ok(done.path),
        Ok(Err(e)) => Err(UiError::Other(e.to_string())),
        Err(e) => Err(UiError::Other(format!("the download crashed: {e}"))),
    }
}

pub fn import(dir: &Path, src: &str, link: bool) -> Result<ModelEntry, UiError> {
    let how = if link { ImportHow::Link } else { ImportHow::Copy };
    let (path, facts) = library::import(Path::new(src.trim()), dir, how).map_err(|e| UiError::Other(e.to_string()))?;
    let fit = desk_engine::memory::estimate(&facts, desk_engine::memory::default_context(&facts));
    Ok(ModelEntry {
        path: path.display().to_string(),
        file_name: facts.file_name.clone(),
        facts: Some(facts),
        error: None,
        fit: Some(fit),
    })
}

pub fn remove(dir: &Path, file_name: &str) -> Result<(), UiError> {
    library::remove(dir, file_name).map(|_| ()).map_err(|e| UiError::Other(e.to_string()))
}
