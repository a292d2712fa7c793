use std::path::PathBuf;

use desk_protocol::{ConversationId, MessageId};

/// Everything the store can fail with; each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the history folder {path}: {source} (check its permissions or set DESK_DATA_DIR to another folder)")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "the history database {path} was written by a newer Codellama Desk (schema version {found}; \
         this version understands up to {supported}); update the app, or set DESK_DATA_DIR to use another folder"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "the history database {path} is unreadable ({reason}) and could not be moved aside to {to}: {source}; \
         move or delete it by hand, then start again"
    )]
    MoveAside {
        path: PathBuf,
        to: PathBuf,
        reason: String,
        source: std::io::Error,
    },

    #[error("the history database {path} is damaged: {source}; quit Codellama Desk and move the file aside, it will start with a fresh one")]
    Corrupt {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("the history database {path} is locked by another Codellama Desk that is writing; try again in a moment")]
    Busy { path: PathBuf },

    #[error("conversation {0} does not exist (it may have been deleted); `desk history list` shows the ones there are")]
    NoConversation(ConversationId),

    #[error("message {0} does not exist (its conversation may have been deleted)")]
    NoMessage(MessageId),

    #[error("message {message} belongs to another conversation than {conversation}")]
    WrongConversation {
        conversation: ConversationId,
        message: MessageId,
    },

    #[error("this reply was already finished; start a new one with begin_reply")]
    ReplyFinished,

    #[error("the history database holds a value this version cannot read: {0}")]
    InvalidData(String),

    #[error("not a Codellama Desk history export: {0}")]
    Import(String),

    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),

    #[error("history database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase))
}

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    matches!(e.sqlite_error_code(), Some(DatabaseBusy | DatabaseLocked))
}
