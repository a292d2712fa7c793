//! Downloading one GGUF into the library folder: resumable, verified, cancellable.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::catalogue::Entry;
use crate::fetch::{Failure, Fetch};
use crate::hub::Hub;
use crate::names::{safe_file_name, safe_repo};
use crate::part::PartFile;
use crate::progress::{Progress, Ticker};
use crate::{platform, Error};

/// Kept free beyond the file itself, so a download never fills the disk to the last byte.
pub const SPACE_MARGIN: u64 = 32 << 20;

/// A file in a hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile<'a> {
    pub repo: &'a str,
    pub file: &'a str,
}

impl<'a> From<&'a Entry> for RemoteFile<'a> {
    fn from(entry: &'a Entry) -> Self {
        RemoteFile {
            repo: &entry.repo,
            file: &entry.file,
        }
    }
}

/// How the file came to be in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Fetched now; `resumed_from` bytes were kept from an earlier, unfinished run.
    Downloaded { resumed_from: u64 },
    /// A file of the hub's exact size was already there; nothing was fetched
    /// (its contents were not re-hashed).
    AlreadyPresent,
}

/// A model file now in the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub path: PathBuf,
    pub size: u64,
    /// The hub's SHA-256; the bytes were checked against it unless `AlreadyPresent`.
    pub sha256: String,
    pub outcome: Outcome,
}

/// Downloads with a given hub and retry policy.
#[derive(Debug, Clone)]
pub struct Downloader {
    hub: Hub,
    retries: u32,
    retry_delay: Duration,
    progress_interval: Duration,
}

/// Downloads `file` into `library_dir` from the hub named by `DESK_HF_ENDPOINT`
/// (default huggingface.co); see [`Downloader::download`].
pub fn download<'a>(
    file: impl Into<RemoteFile<'a>>,
    library_dir: &Path,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<Downloaded, Error> {
    Downloader::new(Hub::from_env()).download(file, library_dir, progress, cancel)
}

impl Downloader {
    /// Three retries per dropped connection, starting 1 s apart and doubling;
    /// progress at most five times a second.
    pub fn new(hub: Hub) -> Downloader {
        Downloader {
            hub,
            retries: 3,
            retry_delay: Duration::from_secs(1),
            progress_interval: Duration::from_millis(200),
        }
    }

    /// How many times a failed connection is retried (with a Range request)
    /// before giving up, and the first pause between tries (it doubles each time).
    /// The count starts afresh whenever a try made progress.
    pub fn with_retries(mut self, retries: u32, first_delay: Duration) -> Downloader {
        self.retries = retries;
        self.retry_delay = first_delay;
        self
    }

    /// The least time between two progress reports (zero: after every chunk).
    pub fn with_progress_interval(mut self, interval: Duration) -> Downloader {
        self.progress_interval = interval;
        self
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Downloads `file` to `library_dir/<file>`.
    ///
    /// Names are checked before any request, so nothing outside `library_dir`
    /// is ever written. Bytes go to `<file>.part`, which a later call resumes
    /// with a Range request; the finished file is checked against the hub's
    /// size and SHA-256 and only then renamed into place (replacing any older
    /// file of that name). `progress` gets `(downloaded, total)` now and then
    /// and once at the end; setting `cancel` stops between chunks with
    /// [`Error::Cancelled`], keeping the part.
    pub fn download<'a>(
        &self,
        file: impl Into<RemoteFile<'a>>,
        library_dir: &Path,
        progress: &mut dyn FnMut(Progress),
        cancel: &AtomicBool,
    ) -> Result<Downloaded, Error> {
        let RemoteFile { repo, file } = file.into();
        let repo = safe_repo(repo)?;
        let name = safe_file_name(file)?;
        fs::create_dir_all(library_dir).map_err(Error::io(library_dir))?;
        let final_path = library_dir.join(name);
        let part_path = library_dir.join(format!("{name}.part"));

        let meta = self.hub.file_meta(repo, name)?;
        let done = |path: PathBuf, outcome| Downloaded {
            path,
            size: meta.size,
            sha256: meta.sha256.clone(),
            outcome,
        };
        if fs::metadata(&final_path).is_ok_and(|m| m.is_file() && m.len() == meta.size) {
            progress(Progress {
                downloaded: meta.size,
                total: meta.size,
            });
            return Ok(done(final_path, Outcome::AlreadyPresent));
        }
        // Checked before the part is opened (and hashed, which takes a while).
        let have = fs::metadata(&part_path).map(|m| m.len()).unwrap_or(0);
        let have = if have > meta.size { 0 } else { have };
        ensure_space(library_dir, meta.size - have)?;

        let mut part = PartFile::open(part_path, meta.size, cancel)?;
        let mut ticker = Ticker::new(progress, meta.size, self.progress_interval);
        ticker.report(part.len());
        let fetch = Fetch {
            hub: &self.hub,
            repo,
            name,
            meta: &meta,
            library_dir,
        };
        if let Err(error) = self.transfer(&fetch, &mut part, &mut ticker, cancel) {
            // A wrong-size part is not the file; an empty one is not worth
            // keeping (except after a cancel, whose message promises the part).
            let empty = part.len() == 0 && !matches!(error, Error::Cancelled { .. });
            if empty || matches!(error, Error::SizeMismatch { .. }) {
                part.discard()?;
            }
            return Err(error);
        }
        let resumed_from = part.reused();
        part.finish(&final_path, &meta.sha256)?;
        Ok(done(final_path, Outcome::Downloaded { resumed_from }))
    }

    /// Fills the part to the full size, retrying dropped connections.
    fn transfer(
        &self,
        fetch: &Fetch<'_>,
        part: &mut PartFile,
        ticker: &mut Ticker<'_>,
        cancel: &AtomicBool,
    ) -> Result<(), Error> {
        let mut failures = 0u32;
        while part.len() < fetch.meta.size {
            let before = part.len();
            let error = match fetch.attempt(part, ticker, cancel) {
                Ok(()) => continue,
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retry(error)) => error,
            };
            failures = if part.len() > before { 1 } else { failures + 1 };
            if failures > self.retries {
                return Err(give_up(fetch, part, error));
            }
            let delay = self.retry_delay.saturating_mul(1 << (failures - 1).min(16));
            if !pause(delay, cancel) {
                return Err(Error::Cancelled {
                    part: part.path().to_owned(),
                    downloaded: part.len(),
                });
            }
        }
        Ok(())
    }
}

/// What to report once retries are used up: the failure itself if nothing has
/// been received, otherwise that the part is kept for a later resume.
fn give_up(fetch: &Fetch<'_>, part: &PartFile, error: Error) -> Error {
    if part.len() == 0 {
        return error;
    }
    let reason = match error {
        Error::Network { reason, .. } => reason,
        other => other.to_string(),
    };
    Error::Interrupted {
        file: fetch.name.to_owned(),
        part: part.path().to_owned(),
        downloaded: part.len(),
        total: fetch.meta.size,
        reason,
    }
}

pub(crate) fn ensure_space(dir: &Path, remaining: u64) -> Result<(), Error> {
    let needed = remaining.saturating_add(SPACE_MARGIN);
    match platform::free_space(dir).map_err(Error::io(dir))? {
        Some(available) if available < needed => Err(Error::NoSpace {
            dir: dir.to_owned(),
            needed,
            available,
        }),
        _ => Ok(()),
    }
}

/// Sleeps for `delay` unless cancelled first; false when cancelled.
fn pause(delay: Duration, cancel: &AtomicBool) -> bool {
    let end = Instant::now() + delay;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_stops_early_when_cancelled() {
        let start = Instant::now();
        assert!(!pause(Duration::from_secs(60), &AtomicBool::new(true)));
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(pause(Duration::from_millis(1), &AtomicBool::new(false)));
    }
}
