//! Opening: upgrades from every earlier schema, crash recovery, damaged and
//! future files.

mod common;

use common::{exchange, new_chat, open};
use desk_protocol::{Message, MessageStatus, ReplyEnd};
use desk_store::{create_at_version, StoreError, DB_FILE, SCHEMA_VERSION};

#[test]
fn every_earlier_version_upgrades_to_the_current_one() -> anyhow::Result<()> {
    const { assert!(SCHEMA_VERSION >= 2) };
    for version in 0..SCHEMA_VERSION {
        let dir = tempfile::tempdir()?;
        create_at_version(dir.path(), version)?;
        let (store, report) = open(dir.path())?;
        assert_eq!(
            report.migrated_from,
            (version > 0).then_some(version),
            "from v{version}"
        );
        let chat = new_chat(&store, None)?;
        exchange(
            &store,
            chat,
            None,
            "does search work after the upgrade",
            "yes",
        )?;
        assert_eq!(
            store.search("upgrade", 0, 5)?.hits.len(),
            1,
            "from v{version}"
        );
        assert_eq!(store.check_integrity()?, ["ok"]);
        let mode: String = rusqlite::Connection::open(dir.path().join(DB_FILE))?.query_row(
            "PRAGMA journal_mode",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(mode, "wal");
        drop(store);
        let (_, report) = open(dir.path())?;
        assert_eq!(report.migrated_from, None);
    }
    Ok(())
}

#[test]
fn a_version_1_file_keeps_all_its_data_and_becomes_searchable() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    create_at_version(dir.path(), 1)?;
    // Written with the v1 layout by hand, as the v1 release would have.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE))?;
    conn.execute_batch(
        "INSERT INTO conversations (id, title, created, updated, model, settings, system_prompt, active_leaf)
             VALUES (7, 'Old chat', 1000, 2000, 'old.gguf', '{\"t\":0}', 'Be kind.', 3);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created)
             VALUES (1, 7, NULL, 'user', 'legacy question about lifetimes', 'complete', 1000);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created, reply_end,
                               prompt_tokens, completion_tokens, ttft_ms, prompt_tok_per_s, decode_tok_per_s)
             VALUES (2, 7, 1, 'assistant', 'first answer', 'complete', 1500, 'finished', 10, 2, 5.5, 100.25, 20.125);
         INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created, reply_end)
             VALUES (3, 7, 1, 'assistant', 'second answer, cut', 'streaming', 1800, NULL);",
    )?;
    drop(conn);
    let (store, report) = open(dir.path())?;
    assert_eq!(report.migrated_from, Some(1));
    assert_eq!(report.interrupted, 1);
    let meta = store.meta(7)?;
    assert_eq!(
        (meta.title.as_str(), meta.created_ms, meta.updated_ms),
        ("Old chat", 1000, 2000)
    );
    assert_eq!(meta.settings_json.as_deref(), Some("{\"t\":0}"));
    assert_eq!(meta.system.as_deref(), Some("Be kind."));
    let view = store.view(7)?;
    assert_eq!(
        view.branch.iter().map(|b| b.message.id).collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(view.branch[1].siblings, [2, 3]);
    assert_eq!(view.branch[1].message.status, MessageStatus::Interrupted);
    let all = store.messages(7)?;
    let usage = all[1]
        .stats
        .as_ref()
        .and_then(|s| s.usage.clone())
        .expect("usage kept");
    assert_eq!(
        (usage.prompt_tokens, usage.ttft_ms, usage.decode_tok_per_s),
        (10, 5.5, 20.125)
    );
    assert_eq!(
        store.search("lifetimes", 0, 5)?.hits[0].message_id,
        1,
        "old messages are indexed"
    );
    assert_eq!(
        store.search("cut", 0, 5)?.hits[0].message_id,
        3,
        "the recovered reply too"
    );
    Ok(())
}

#[test]
fn a_reply_left_streaming_is_marked_interrupted_on_open() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (chat, reply) = {
        let (store, _) = open(dir.path())?;
        let chat = new_chat(&store, None)?;
        let q = store.add_message(chat, None, &Message::user("q"))?;
        let mut w = store.begin_reply(chat, q)?;
        w.push("partial text")?;
        w.flush()?;
        w.push(" never flushed")?;
        let id = w.id();
        // What a killed process leaves: no Drop runs.
        std::mem::forget(w);
        (chat, id)
    };
    let (store, report) = open(dir.path())?;
    assert_eq!(report.interrupted, 1);
    let m = store.view(chat)?.branch[1].message.clone();
    assert_eq!(
        (m.id, m.content.as_str(), m.status),
        (reply, "partial text", MessageStatus::Interrupted)
    );
    assert_eq!(m.stats.and_then(|s| s.end), Some(ReplyEnd::Interrupted));
    Ok(())
}

#[test]
fn a_corrupt_file_is_moved_aside_with_its_wal_and_never_overwritten() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(DB_FILE);
    let garbage = b"this is not sqlite at all, it is a half-written something".repeat(100);
    std::fs::write(&path, &garbage)?;
    std::fs::write(dir.path().join("history.db-wal"), b"stale wal")?;
    let (store, report) = open(dir.path())?;
    let moved = report.moved_aside.clone().expect("moved aside");
    let name = moved
        .to
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    assert!(name.starts_with("history.db.corrupt-2"), "{name}");
    assert_eq!(
        name.len(),
        "history.db.corrupt-20261126T110000".len(),
        "{name}"
    );
    assert_eq!(std::fs::read(&moved.to)?, garbage, "the old bytes are kept");
    assert_eq!(
        std::fs::read(format!("{}-wal", moved.to.display()))?,
        b"stale wal"
    );
    assert!(report.created);
    let chat = new_chat(&store, None)?;
    exchange(&store, chat, None, "fresh start", "yes")?;
    drop(store);

    // Damage it again within the same second: a second, distinct name.
    std::fs::write(&path, &garbage)?;
    let (_, again) = open(dir.path())?;
    let second = again.moved_aside.expect("moved aside").to;
    assert_ne!(second, moved.to);
    assert_eq!(std::fs::read(&moved.to)?, garbage);
    Ok(())
}

#[test]
fn a_truncated_database_is_moved_aside() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let (store, _) = open(dir.path())?;
        let chat = new_chat(&store, None)?;
        exchange(&store, chat, None, &"long question ".repeat(2000), "answer")?;
        store.delete(new_chat(&store, None)?)?; // checkpoints the WAL into the file
    }
    let path = dir.path().join(DB_FILE);
    let bytes = std::fs::read(&path)?;
    let mut damaged = bytes.clone();
    // Overwrite the first page after the header: the schema is gone.
    for b in &mut damaged[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &damaged)?;
    let (store, report) = open(dir.path())?;
    assert!(report.moved_aside.is_some(), "{report:?}");
    assert_eq!(store.count()?, 0);
    Ok(())
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let (store, _) = open(dir.path())?;
        exchange(&store, new_chat(&store, None)?, None, "q", "a")?;
    }
    let path = dir.path().join(DB_FILE);
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    drop(conn);
    let before = std::fs::read(&path)?;
    let err = open(dir.path()).err().expect("refused");
    let err = err.downcast::<StoreError>()?;
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 5));
    let text = err.to_string();
    assert!(
        text.contains("newer Codellama Desk") && text.contains("DESK_DATA_DIR"),
        "{text}"
    );
    assert_eq!(std::fs::read(&path)?, before, "not a byte changed");
    assert_eq!(
        std::fs::read_dir(dir.path())?.count(),
        1,
        "nothing moved aside or created"
    );
    Ok(())
}

#[test]
fn someone_elses_database_is_moved_aside_not_adopted() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(DB_FILE);
    let conn = rusqlite::Connection::open(&path)?;
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")?;
    drop(conn);
    let (_, report) = open(dir.path())?;
    let moved = report.moved_aside.expect("moved aside");
    assert_eq!(moved.reason, "not a Codellama Desk history database");
    let old = rusqlite::Connection::open(&moved.to)?;
    let body: String = old.query_row("SELECT body FROM notes", [], |r| r.get(0))?;
    assert_eq!(body, "mine");
    Ok(())
}
