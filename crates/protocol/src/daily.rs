//! What the window's daily-use features exchange with the shell: attached
//! files, running a code block, managing stored chats, the store's health.

use serde::{Deserialize, Serialize};

/// A file attached to a question, ready to send: `text` is the fenced block
/// that goes into the message (`` ```python main.py ``), whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    /// The grammar's display name ("Python"); `None` for plain text.
    pub language: Option<String>,
    pub text: String,
    pub lines: usize,
    pub bytes: usize,
}

/// Which output stream a line of a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// One event of running a code block in the sandbox, in order: `Started`,
/// any number of `Output`, then `Ended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunEvent {
    /// `limits` says what the sandbox allows, in words.
    Started { limits: String },
    Output { stream: OutputStream, text: String },
    Ended(RunEnd),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEnd {
    /// The exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stopped: bool,
    /// The guard stopped something (a network call, a write outside the folder).
    pub blocked: Option<String>,
    /// Output past the cap was cut and the run ended.
    pub output_cut: bool,
    pub duration_ms: u64,
}

/// Settings → Run code: off until the user turns it on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunSettings {
    pub enabled: bool,
    /// What the sandbox allows, in words, for the settings panel; `None`
    /// with `problem` when no Python was found.
    pub limits: Option<String>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Markdown,
    Json,
    Html,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "md",
            ExportFormat::Json => "json",
            ExportFormat::Html => "html",
        }
    }
}

/// Where an export was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exported {
    pub path: String,
    pub conversations: usize,
    pub bytes: u64,
}

/// The history database could not be read at start and was moved aside:
/// shown in the window until dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreNotice {
    /// Where the unreadable file now is (untouched, for recovery).
    pub moved_to: String,
    pub reason: String,
}
