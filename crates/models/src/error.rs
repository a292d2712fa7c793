//! Everything that can go wrong looking up or downloading a model.

use std::io;
use std::path::PathBuf;

/// A failed hub request or download. Messages are written for the person
/// running the download: they name the file, the URL or the numbers involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The hub has no such repository or file (HTTP 404, or missing from the listing).
    #[error("not found on the hub: {url}")]
    NotFound { url: String },

    /// Any other unsuccessful HTTP status.
    #[error("the hub answered HTTP {status} for {url}")]
    Http { status: u16, url: String },

    /// The request could not be made or answered (DNS, refused, TLS, timeout).
    #[error("network error for {url}: {reason}")]
    Network { url: String, reason: String },

    /// The connection broke mid-file and the automatic retries did not get it back.
    #[error(
        "the download of {file} stopped at {downloaded} of {total} bytes ({reason}); \
         the partial file {} is kept and running the download again resumes it",
        part.display()
    )]
    Interrupted {
        file: String,
        part: PathBuf,
        downloaded: u64,
        total: u64,
        reason: String,
    },

    /// The downloaded bytes are not the file the hub describes; the partial file is deleted.
    #[error(
        "checksum mismatch for {file}: expected SHA-256 {expected}, got {actual}; \
         the downloaded data was deleted"
    )]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },

    /// The server sent a different amount of data than the hub's listing says;
    /// the partial file is deleted.
    #[error("size mismatch for {file}: the hub lists {expected} bytes but the server sent {actual}; the downloaded data was deleted")]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },

    /// Not enough free space in the library folder for the rest of the file.
    #[error(
        "not enough disk space in {}: the download needs {needed} more bytes but only {available} are free",
        dir.display()
    )]
    NoSpace {
        dir: PathBuf,
        needed: u64,
        available: u64,
    },

    /// A repository or file name that could escape the library folder or change the URL.
    #[error("refusing unsafe name {name:?}: {reason}")]
    UnsafeName { name: String, reason: &'static str },

    /// The hub's answer was not what its API promises.
    #[error("unexpected answer from {url}: {reason}")]
    Protocol { url: String, reason: String },

    /// Another download of the same file is running (it holds the lock on the partial file).
    #[error("{} is already being downloaded by another process", part.display())]
    Busy { part: PathBuf },

    /// The caller cancelled; the partial file is kept for a later resume.
    #[error(
        "download cancelled at {downloaded} bytes; the partial file {} is kept and running the download again resumes it",
        part.display()
    )]
    Cancelled { part: PathBuf, downloaded: u64 },

    /// Reading or writing the library folder failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
