//! JSON export and import (exact round-trip) and Markdown export.

mod common;

use common::{exchange, new_chat, open};
use desk_protocol::{Dropped, ReplyEnd};

#[test]
fn json_export_and_import_round_trip_exactly() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let a = new_chat(&store, Some("Be terse.\nUse Rust."))?;
    let (_, a1) = exchange(&store, a, None, "q1 \"quoted\" \u{1F980}", "a1")?;
    exchange(&store, a, Some(a1), "q2", "a2")?;
    let (q2b, _) = exchange(&store, a, Some(a1), "q2 edited", "a2 edited")?;
    let mut w = store.begin_reply(a, q2b)?;
    w.started(
        Some(&Dropped {
            message_indices: vec![0],
            tokens: 12,
        }),
        Some(42),
    )?;
    w.push("partial")?;
    w.finish(ReplyEnd::Error, Some("out of memory".into()), None)?;
    store.switch_branch(a, a1)?;
    let b = new_chat(&store, None)?;
    store.rename(b, "empty one")?;

    let mut json = Vec::new();
    store.export_json(None, &mut json)?;
    let before: desk_store::HistoryExport = serde_json::from_slice(&json)?;
    assert_eq!(before.conversations.len(), 2);

    let dir2 = tempfile::tempdir()?;
    let (other, _) = open(dir2.path())?;
    // Ids are remapped: something already there pushes them along.
    exchange(&other, new_chat(&other, None)?, None, "already here", "yes")?;
    let new_ids = other.import_json(&mut json.as_slice())?;
    let mut again = Vec::new();
    other.export_json(Some(&new_ids), &mut again)?;
    let after: desk_store::HistoryExport = serde_json::from_slice(&again)?;
    assert_eq!(normalise(before), normalise(after));

    let err = other.import_json(
        &mut &b"{\"format\":\"something-else\",\"version\":1,\"conversations\":[]}"[..],
    );
    assert!(matches!(err, Err(desk_store::StoreError::Import(_))));
    let mut broken = serde_json::from_slice::<desk_store::HistoryExport>(&json)?;
    let full = broken
        .conversations
        .iter_mut()
        .find(|c| c.messages.len() > 1)
        .expect("chat a");
    full.messages[1].parent = Some(987_654);
    let count = other.count()?;
    let err = other.import_json(&mut serde_json::to_vec(&broken)?.as_slice());
    assert!(err.is_err(), "a dangling parent is refused");
    assert_eq!(other.count()?, count, "nothing half-imported");
    Ok(())
}

/// Replaces ids with their position so two exports compare on content alone.
fn normalise(mut export: desk_store::HistoryExport) -> desk_store::HistoryExport {
    for c in &mut export.conversations {
        let pos = |id: i64, msgs: &[desk_protocol::StoredMessage]| {
            msgs.iter().position(|m| m.id == id).map(|p| p as i64)
        };
        let snapshot = c.messages.clone();
        c.meta.id = 0;
        c.meta.active_leaf = c.meta.active_leaf.and_then(|l| pos(l, &snapshot));
        for m in &mut c.messages {
            m.id = pos(m.id, &snapshot).unwrap_or(-1);
            m.parent = m.parent.and_then(|p| pos(p, &snapshot));
        }
    }
    export
}

#[test]
fn markdown_shows_the_active_branch_with_stats() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, Some("Be terse."))?;
    let (_, a1) = exchange(
        &store,
        chat,
        None,
        "Reverse a string in Python?",
        "Use `s[::-1]`.",
    )?;
    exchange(&store, chat, Some(a1), "old follow-up", "old")?;
    exchange(
        &store,
        chat,
        Some(a1),
        "And in Rust?",
        "`s.chars().rev().collect::<String>()`",
    )?;
    let mut md = Vec::new();
    store.export_markdown(Some(&[chat]), &mut md)?;
    let md = String::from_utf8(md)?;
    assert!(md.starts_with("# Reverse a string in Python?\n"), "{md}");
    assert!(md.contains("- Model: codellama-7b-instruct.Q4_K_M.gguf"));
    assert!(md.contains("## System prompt\n\nBe terse."));
    assert!(md.contains("## You\n\nAnd in Rust?"));
    assert!(md.contains("## Assistant\n\n`s.chars().rev().collect::<String>()`"));
    assert!(
        !md.contains("old follow-up"),
        "other branches are left to the JSON export"
    );
    assert!(md.contains("2 message(s) on other branches"));
    assert!(md.contains("tok/s"));
    let mut all = Vec::new();
    new_chat(&store, None)?;
    store.export_markdown(None, &mut all)?;
    assert!(String::from_utf8(all)?.contains("# Untitled conversation"));
    Ok(())
}
