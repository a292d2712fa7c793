//! Opening the store: pragmas, migrations, crash recovery, and moving an
//! unreadable file aside instead of ever overwriting it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{is_busy, is_corruption, Result, StoreError};
use crate::schema::{self, APPLICATION_ID, REQUIRED_TABLES, SCHEMA_VERSION};
use crate::time::{file_stamp, now_ms};

pub const DB_FILE: &str = "history.db";

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// A streaming reply is committed at least this often while text arrives.
    pub flush_interval: Duration,
    /// How long to wait for another process (the CLI beside the app) that holds the write lock.
    pub busy_timeout: Duration,
    /// A search matching more messages than this ranks only the newest this
    /// many: scoring costs about 1.5 µs a match, so this bounds a search of
    /// a very common word to some 30 ms.
    pub rank_at_most: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_millis(500),
            busy_timeout: Duration::from_secs(5),
            rank_at_most: 20_000,
        }
    }
}

/// What happened while opening; the caller should tell the user about
/// `moved_aside` and `interrupted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    pub path: PathBuf,
    /// No database existed (or the old one was moved aside): a fresh one was made.
    pub created: bool,
    /// The schema version found, when it was older than this build's.
    pub migrated_from: Option<u32>,
    pub moved_aside: Option<MovedAside>,
    /// Replies a dead writer left half-written, now marked interrupted.
    pub interrupted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedAside {
    pub to: PathBuf,
    pub reason: String,
}

/// The conversation history. One connection; `Send` but not `Sync` (put it
/// behind a mutex to share). Reply writers get connections of their own.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) options: StoreOptions,
}

enum Attempt {
    Ready(Connection, u32),
    Unreadable(String),
}

impl Store {
    /// Opens (creating if needed) `history.db` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<(Store, OpenReport)> {
        Self::open_with(data_dir, StoreOptions::default())
    }

    pub fn open_with(data_dir: &Path, options: StoreOptions) -> Result<(Store, OpenReport)> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let existed = path.exists();
        let mut moved_aside = None;
        let (conn, found) = match attempt(&path, &options)? {
            Attempt::Ready(conn, found) => (conn, found),
            Attempt::Unreadable(reason) => {
                let to = move_aside(&path, &reason)?;
                moved_aside = Some(MovedAside {
                    to,
                    reason: reason.clone(),
                });
                match attempt(&path, &options)? {
                    Attempt::Ready(conn, found) => (conn, found),
                    Attempt::Unreadable(reason) => {
                        return Err(StoreError::InvalidData(format!(
                            "a fresh database at {} is unreadable too: {reason}",
                            path.display()
                        )))
                    }
                }
            }
        };
        let mut store = Store {
            conn,
            path: path.clone(),
            options,
        };
        let from = schema::migrate_to(&mut store.conn, SCHEMA_VERSION).map_err(|e| store.ctx(e))?;
        let interrupted = store.recover_interrupted().map_err(|e| store.ctx(e))?;
        let report = OpenReport {
            path,
            created: !existed || moved_aside.is_some(),
            migrated_from: (found > 0 && from < SCHEMA_VERSION).then_some(from),
            moved_aside,
            interrupted,
        };
        Ok((store, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// SQLite's `quick_check`: `["ok"]` when the file is sound. Not run on
    /// open because it reads the whole file.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn recover_interrupted(&self) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE messages SET status = 'interrupted', reply_end = coalesce(reply_end, 'interrupted')
             WHERE status = 'streaming'",
            [],
        )?;
        Ok(n as u64)
    }

    /// Gives SQLite errors the file's path and a hint when they mean damage or contention.
    pub(crate) fn ctx(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sqlite(e) if is_corruption(&e) => StoreError::Corrupt {
                path: self.path.clone(),
                source: e,
            },
            StoreError::Sqlite(e) if is_busy(&e) => StoreError::Busy {
                path: self.path.clone(),
            },
            other => other,
        }
    }
}

/// A connection with the pragmas every connection needs.
pub(crate) fn connect(path: &Path, options: &StoreOptions) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    Ok(conn)
}

pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted text is overwritten with zeros instead of lingering in free space.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Opens and sanity-checks the file without writing to it until it is known
/// to be ours and not from the future. The probe is read-only: a read-write
/// connection to a damaged file could checkpoint or delete its WAL on close,
/// and the WAL is part of what gets moved aside.
fn attempt(path: &Path, options: &StoreOptions) -> Result<Attempt> {
    let version = if path.exists() {
        if let Some(reason) = bad_header(path) {
            return Ok(Attempt::Unreadable(reason));
        }
        match probe(path, options) {
            Ok(Probe::Ours(version)) => version,
            Ok(Probe::Unreadable(reason)) => return Ok(Attempt::Unreadable(reason)),
            Ok(Probe::Newer(found)) => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            Err(e) if is_corruption(&e) => return Ok(Attempt::Unreadable(e.to_string())),
            Err(e) if is_busy(&e) => {
                return Err(StoreError::Busy {
                    path: path.to_path_buf(),
                })
            }
            Err(e)
                if path.is_file()
                    && e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) =>
            {
                return Ok(Attempt::Unreadable(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        0
    };
    let conn = connect(path, options)?;
    match configure(&conn) {
        Ok(()) => Ok(Attempt::Ready(conn, version)),
        Err(e) if is_corruption(&e) => Ok(Attempt::Unreadable(e.to_string())),
        Err(e) if is_busy(&e) => Err(StoreError::Busy {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Cheaper and surer than asking SQLite: garbage never gets opened at all.
fn bad_header(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut header = Vec::with_capacity(16);
    let read = std::fs::File::open(path).and_then(|f| f.take(16).read_to_end(&mut header));
    match read {
        // An empty file is what SQLite itself leaves for a new database.
        Ok(0) => None,
        Ok(_) if header == b"SQLite format 3\0" => None,
        Ok(_) => Some("not an SQLite database (bad header)".into()),
        Err(e) => Some(format!("cannot read it: {e}")),
    }
}

enum Probe {
    Ours(u32),
    Newer(u32),
    Unreadable(String),
}

fn probe(path: &Path, options: &StoreOptions) -> rusqlite::Result<Probe> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    let version = schema::user_version(&conn)?;
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if version > SCHEMA_VERSION {
        return Ok(Probe::Newer(version));
    }
    if version == 0 && !tables.is_empty() || version > 0 && app != APPLICATION_ID {
        return Ok(Probe::Unreadable(
            "not a Codellama Desk history database".into(),
        ));
    }
    if version == SCHEMA_VERSION {
        if let Some(missing) = REQUIRED_TABLES
            .iter()
            .find(|t| !tables.iter().any(|have| have == *t))
        {
            return Ok(Probe::Unreadable(format!("table {missing} is missing")));
        }
    }
    Ok(Probe::Ours(version))
}

/// Renames the database (and its WAL and SHM, which belong to it) to
/// `history.db.corrupt-<UTC stamp>`, never replacing an existing file.
fn move_aside(path: &Path, reason: &str) -> Result<PathBuf> {
    let stamp = file_stamp(now_ms());
    let mut n = 0u32;
    let to = loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".corrupt-{stamp}{suffix}"));
        let candidate = PathBuf::from(name);
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    std::fs::rename(path, &to).map_err(|source| StoreError::MoveAside {
        path: path.to_path_buf(),
        to: to.clone(),
        reason: reason.to_string(),
        source,
    })?;
    for side in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(side);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut dest = to.as_os_str().to_owned();
            dest.push(side);
            std::fs::rename(&from, PathBuf::from(dest)).map_err(|source| {
                StoreError::MoveAside {
                    path: from.clone(),
                    to: to.clone(),
                    reason: reason.to_string(),
                    source,
                }
            })?;
        }
    }
    Ok(to)
}
