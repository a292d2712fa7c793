//! Versioned schema. A step, once released, never changes: a database made
//! by any earlier version upgrades by running the steps after its version.

use rusqlite::Connection;

use crate::error::Result;

/// 'DESK': tells our files apart from any other SQLite database.
pub(crate) const APPLICATION_ID: i32 = 0x4445_534B;

const V1_BASE: &str = "
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT NOT NULL DEFAULT '',
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    model         TEXT,
    settings      TEXT,
    system_prompt TEXT,
    active_leaf   INTEGER
);
CREATE INDEX conversations_by_updated ON conversations(updated DESC, id DESC);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id         INTEGER REFERENCES messages(id),
    role              TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content           TEXT NOT NULL,
    status            TEXT NOT NULL
                      CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
    created           INTEGER NOT NULL,
    reply_end         TEXT
                      CHECK (reply_end IN ('finished', 'max_tokens', 'stopped', 'interrupted', 'error')),
    error             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    ttft_ms           REAL,
    prompt_tok_per_s  REAL,
    decode_tok_per_s  REAL,
    seed              INTEGER,
    dropped           TEXT
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX messages_by_parent ON messages(parent_id);
-- Opening the store looks for replies a dead writer left behind; this keeps
-- that a lookup instead of a scan of every message.
CREATE INDEX messages_streaming ON messages(id) WHERE status = 'streaming';
";

/// Full-text search. External content (the text lives once, in `messages`);
/// replies are indexed when they stop streaming so a flush stays cheap.
/// `secure-delete` removes a deleted message's terms from the index pages
/// themselves instead of leaving them behind a tombstone.
const V2_SEARCH: &str = "
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = \"unicode61 remove_diacritics 2 tokenchars '_'\"
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.status <> 'streaming';
    INSERT INTO messages_fts(rowid, content)
        SELECT new.id, new.content WHERE new.status <> 'streaming';
END;

INSERT INTO messages_fts(rowid, content)
    SELECT id, content FROM messages WHERE status <> 'streaming';
";

const MIGRATIONS: &[&str] = &[V1_BASE, V2_SEARCH];

/// The version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings the schema from its version up to `target`, one transaction per
/// step so an interrupted upgrade leaves a consistent older version.
/// Returns the version it started from.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32> {
    let from = user_version(conn)?;
    for version in from..target.min(SCHEMA_VERSION) {
        let tx = conn.transaction()?;
        if version == 0 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
    Ok(from)
}

/// Tables the current version needs; a file claiming the current version
/// without them is damaged.
pub(crate) const REQUIRED_TABLES: &[&str] = &["conversations", "messages", "messages_fts"];
