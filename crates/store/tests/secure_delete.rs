//! Deleted text must be gone from every file, not just unlinked.

mod common;

use std::path::Path;

use common::{exchange, new_chat, open};
use desk_protocol::Message;

fn files_containing(dir: &Path, needle: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let bytes = std::fs::read(&path)?;
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(path.display().to_string());
        }
    }
    Ok(found)
}

#[test]
fn deleted_text_is_nowhere_in_the_db_wal_or_shm() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    // Neighbours before and after, so the deleted rows share pages and index
    // segments with text that stays.
    for i in 0..30 {
        let chat = new_chat(&store, None)?;
        exchange(
            &store,
            chat,
            None,
            &format!("keep question {i} about borrowck"),
            &"keep answer ".repeat(50),
        )?;
    }
    let marker = "zqxmarker7731secret";
    let doomed = new_chat(&store, Some(&format!("system {marker}")))?;
    store.rename(doomed, &format!("title {marker}"))?;
    let (_, a1) = exchange(
        &store,
        doomed,
        None,
        &format!("my {marker} question"),
        &format!("reply with {marker}"),
    )?;
    // A long message that spills into overflow pages, and a streamed reply
    // flushed many times (each flush leaves an older version of the row).
    let big = format!(
        "{} {marker} {}",
        "padding ".repeat(3000),
        "tail ".repeat(3000)
    );
    let q2 = store.add_message(doomed, Some(a1), &Message::user(big))?;
    let mut w = store.begin_reply(doomed, q2)?;
    for i in 0..200 {
        w.push(&format!("chunk {i} {marker} "))?;
        w.flush()?;
    }
    w.finish(desk_protocol::ReplyEnd::Finished, None, None)?;
    for i in 0..30 {
        let chat = new_chat(&store, None)?;
        exchange(
            &store,
            chat,
            None,
            &format!("later question {i}"),
            "later answer",
        )?;
    }
    assert!(!store.search(marker, 0, 10)?.hits.is_empty());
    assert!(
        !files_containing(dir.path(), marker.as_bytes())?.is_empty(),
        "the marker was written"
    );

    let deleted = store.delete(doomed)?;
    assert!(deleted.wal_cleared);
    assert!(store.search(marker, 0, 10)?.hits.is_empty());
    assert_eq!(
        files_containing(dir.path(), marker.as_bytes())?,
        Vec::<String>::new()
    );
    // The tokenizer lowercases; the index must not keep the term either way.
    assert_eq!(
        files_containing(dir.path(), marker.to_uppercase().as_bytes())?,
        Vec::<String>::new()
    );
    assert_eq!(store.check_integrity()?, ["ok"]);
    assert_eq!(
        store.search("borrowck", 0, 100)?.hits.len(),
        30,
        "the neighbours are intact"
    );

    // Undo within the session puts it back, searchable again.
    let restored = store.restore(&deleted)?;
    assert_eq!(store.view(restored)?.branch.len(), 4);
    assert_eq!(store.meta(restored)?.title, format!("title {marker}"));
    assert!(!store.search(marker, 0, 10)?.hits.is_empty());
    assert!(matches!(
        store.delete(doomed),
        Err(desk_store::StoreError::NoConversation(_))
    ));
    Ok(())
}

#[test]
fn a_reader_holding_the_wal_is_reported() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, None)?;
    exchange(&store, chat, None, "q", "a")?;
    let (reader, _) = open(dir.path())?;
    let doomed = new_chat(&store, None)?;
    exchange(&store, doomed, None, "q2", "a2")?;
    let conn = rusqlite::Connection::open(dir.path().join(desk_store::DB_FILE))?;
    conn.execute_batch("BEGIN; SELECT count(*) FROM messages;")?;
    let deleted = store.delete(doomed)?;
    assert!(!deleted.wal_cleared, "an open read snapshot keeps the WAL");
    conn.execute_batch("COMMIT")?;
    drop(reader);
    Ok(())
}
