//! Code Llama model catalogue and downloads into the library.
//!
//! Everything is synchronous: callers (the CLI, the Tauri shell) run it on a
//! blocking thread and watch it through the progress callback.
//!
//! # Catalogue
//!
//! - [`catalogue::all`]`() -> &'static [Entry]`: the 27 built-in GGUFs
//!   (Code Llama 7B/13B/34B × Instruct/Python/base × Q4_K_M/Q5_K_M/Q8_0 from
//!   TheBloke's repos), serializable to JSON.
//! - [`catalogue::find`]`(name) -> Option<&'static Entry>`: by command-line name
//!   (`codellama-7b-instruct:q4_k_m`) or file name, ignoring case.
//!
//! # Hub
//!
//! - [`Hub::from_env`]`()`: huggingface.co, or `$DESK_HF_ENDPOINT`;
//!   [`Hub::new`]`(endpoint, Timeouts)` for a mirror or a test server.
//! - [`Hub::file_meta`]`(repo, file) -> Result<FileMeta>`: exact size and SHA-256.
//!
//! # Downloads
//!
//! - [`download`]`(file, library_dir, &mut progress, &cancel) -> Result<Downloaded>`
//!   with the default hub; [`Downloader`] to choose the hub, retries and
//!   progress rate. `file` is an [`Entry`] or a [`RemoteFile`] `{ repo, file }`.
//! - [`safe_file_name`]`(name) -> Result<&str>`: the check that keeps every
//!   write inside the library folder.
//!
//! A download grows `<file>.part` in the library folder; a rerun after a crash,
//! a cancel or a dropped connection resumes it with a Range request. The
//! finished file must match the hub's size and SHA-256 before it is renamed
//! into place. Failures are [`Error`] values whose messages say what to do next.

pub mod catalogue;
mod download;
mod error;
mod fetch;
pub mod hub;
mod names;
mod part;
mod platform;
mod progress;

pub use catalogue::{Entry, Flavour, Quant};
pub use download::{download, Downloaded, Downloader, Outcome, RemoteFile, SPACE_MARGIN};
pub use error::Error;
pub use hub::{FileMeta, Hub, Timeouts};
pub use names::{safe_file_name, safe_repo};
pub use progress::Progress;
