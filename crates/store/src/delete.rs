//! Deleting so that the text is gone from the files, not just unlinked.

use desk_protocol::ConversationId;

use crate::error::{Result, StoreError};
use crate::export::ExportedConversation;
use crate::open::Store;

/// A deleted conversation, held in memory only, for undo.
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    pub conversation: ExportedConversation,
    /// False when another connection was reading, so the WAL could not be
    /// emptied yet; the deleted text leaves it at the next checkpoint.
    pub wal_cleared: bool,
}

impl Store {
    /// Deletes a conversation and scrubs its text from the database, the
    /// search index and the WAL (`secure_delete` zeroes the freed space; the
    /// checkpoint copies the zeroed pages home and truncates the WAL).
    pub fn delete(&self, conversation: ConversationId) -> Result<Deleted> {
        let run = || -> Result<Deleted> {
            let tx = self.conn.unchecked_transaction()?;
            let saved = crate::export::export_one(&tx, conversation)?;
            // The cascade removes the messages; the FTS trigger feeds each one's
            // text to the index's secure delete.
            let n = tx.execute("DELETE FROM conversations WHERE id = ?1", [conversation])?;
            if n == 0 {
                return Err(StoreError::NoConversation(conversation));
            }
            tx.commit()?;
            let wal_cleared = self.scrub()?;
            Ok(Deleted {
                conversation: saved,
                wal_cleared,
            })
        };
        run().map_err(|e| self.ctx(e))
    }

    /// Puts a deleted conversation back (with new ids).
    pub fn restore(&self, deleted: &Deleted) -> Result<ConversationId> {
        self.import_one(&deleted.conversation)
    }

    /// Checkpoints and truncates the WAL; true when nothing is left in it.
    pub(crate) fn scrub(&self) -> Result<bool> {
        let (busy, _log, _done): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(busy == 0)
    }
}
