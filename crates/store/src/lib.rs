//! Conversation history in SQLite: every message kept, including a reply
//! that was streaming when the process died, and deleted text scrubbed from
//! the files.
//!
//! ```no_run
//! # fn main() -> Result<(), desk_store::StoreError> {
//! use desk_protocol::{Message, ReplyEnd};
//! use desk_store::{NewConversation, Store};
//!
//! let (store, report) = Store::open(std::path::Path::new("/tmp/desk"))?;
//! if let Some(moved) = &report.moved_aside {
//!     eprintln!("history was unreadable ({}); moved to {}", moved.reason, moved.to.display());
//! }
//! let chat = store.create_conversation(&NewConversation::default())?;
//! let question = store.add_message(chat, None, &Message::user("What does this do?"))?;
//! let mut reply = store.begin_reply(chat, question)?;
//! reply.push("It prints")?;
//! reply.push(" hello.")?;
//! reply.finish(ReplyEnd::Finished, None, None)?;
//! let resumed = store.resume(chat)?; // system prompt + active branch
//! # let _ = resumed; Ok(()) }
//! ```

mod conversations;
mod delete;
mod error;
mod export;
mod html;
mod import;
mod open;
mod rows;
mod schema;
mod search;
mod time;
mod writer;

pub use conversations::NewConversation;
pub use delete::Deleted;
pub use error::{Result, StoreError};
pub use export::{ExportedConversation, HistoryExport, EXPORT_FORMAT, EXPORT_VERSION};
pub use html::state_label;
pub use open::{MovedAside, OpenReport, Store, StoreOptions, DB_FILE};
pub use schema::SCHEMA_VERSION;
pub use time::format_utc;
pub use desk_protocol::auto_title;
pub use writer::ReplyWriter;

/// For tests of upgrades only: creates or brings a database at
/// `data_dir/history.db` to exactly `version`, as that release would have.
#[doc(hidden)]
pub fn create_at_version(data_dir: &std::path::Path, version: u32) -> Result<()> {
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let mut conn = rusqlite::Connection::open(data_dir.join(DB_FILE))?;
    open::configure(&conn)?;
    schema::migrate_to(&mut conn, version)?;
    Ok(())
}
