//! Full-text search: bm25 ranking, snippets, very common words, huge messages.

mod common;

use common::{exchange, new_chat, open};
use desk_protocol::Role;

#[test]
fn search_ranks_by_bm25_and_highlights_snippets() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let a = new_chat(&store, None)?;
    exchange(
        &store,
        a,
        None,
        "How do I use a tokio mutex in async code?",
        "Use tokio::sync::Mutex when the guard is held across an await.",
    )?;
    let b = new_chat(&store, None)?;
    let filler = "lorem ipsum dolor sit amet ".repeat(40);
    exchange(
        &store,
        b,
        None,
        &format!("{filler} mutex {filler}"),
        "noted",
    )?;
    let c = new_chat(&store, None)?;
    exchange(
        &store,
        c,
        None,
        "mutex mutex poisoning: what is a poisoned mutex?",
        "A mutex is poisoned when a holder panics.",
    )?;
    exchange(&store, c, None, "unrelated_identifier in snake_case", "ok")?;

    let hits = store.search("mutex", 0, 10)?.hits;
    assert_eq!(hits.len(), 5);
    assert!(hits.windows(2).all(|w| w[0].rank <= w[1].rank));
    assert_eq!(
        hits[0].conversation_id, c,
        "dense short message first: {hits:#?}"
    );
    assert_eq!(
        hits.last().map(|h| h.conversation_id),
        Some(b),
        "one mention in a long message last"
    );
    let long = hits.last().expect("hit");
    assert!(long.snippet.iter().any(|p| p.hit && p.text == "mutex"));
    assert!(long.snippet_marked("[", "]").contains("[mutex]"));
    assert!(
        long.snippet_marked("", "").len() < 400,
        "a snippet, not the whole message"
    );

    let both = store.search("tokio  AWAIT", 0, 10)?.hits;
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].role, Role::Assistant);
    assert_eq!(
        both[0].conversation_title,
        "How do I use a tokio mutex in async code?"
    );
    let marked = both[0].snippet_marked("<", ">");
    assert!(
        marked.contains("<tokio>") && marked.contains("<await>"),
        "{marked}"
    );

    assert_eq!(
        store.search("unrelated_identifier", 0, 10)?.hits.len(),
        1,
        "identifiers are one token"
    );
    assert!(
        store.search("( OR \"", 0, 10)?.hits.is_empty(),
        "operators are not syntax errors"
    );
    assert!(
        store.search("mutex OR", 0, 10)?.hits.is_empty(),
        "OR is a word, and no message has it"
    );
    assert_eq!(store.search("mutex", 4, 10)?.hits.len(), 1, "paged");
    assert_eq!(
        store.search("mutex", 0, 10)?.ranked_newest,
        None,
        "all matches ranked"
    );
    Ok(())
}

#[test]
fn a_very_common_word_ranks_only_the_newest_matches() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = desk_store::StoreOptions {
        rank_at_most: 3,
        ..common::fast_options()
    };
    let (store, _) = desk_store::Store::open_with(dir.path(), options)?;
    let chat = new_chat(&store, None)?;
    // The oldest is the best match by far; it falls outside the newest three.
    let (best, _) = exchange(&store, chat, None, "common common common", "x")?;
    let mut newest = Vec::new();
    for i in 0..4 {
        let (q, _) = exchange(
            &store,
            chat,
            None,
            &format!("common word in a longer question number {i}"),
            "y",
        )?;
        newest.push(q);
    }
    let results = store.search("common", 0, 10)?;
    assert_eq!(results.ranked_newest, Some(3));
    let mut ids: Vec<_> = results.hits.iter().map(|h| h.message_id).collect();
    ids.sort();
    assert_eq!(ids, newest[1..]);
    assert!(!ids.contains(&best));
    let narrow = store.search("common number 0", 0, 10)?;
    assert_eq!(
        (narrow.hits.len(), narrow.ranked_newest),
        (1, None),
        "more words: everything ranked"
    );
    Ok(())
}

#[test]
fn a_one_megabyte_paste_is_stored_found_and_exported_whole() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, None)?;
    let mut paste = String::with_capacity(1 << 20);
    let mut i = 0u64;
    while paste.len() < (1 << 20) {
        paste.push_str(&format!("let value_{i} = compute({i}); // ü€\n"));
        if i == 12_345 {
            paste.push_str("needle_in_the_paste\n");
        }
        i += 1;
    }
    let (q, _) = exchange(&store, chat, None, &paste, "That is a lot of code.")?;
    let view = store.view(chat)?;
    assert_eq!(view.branch[0].message.id, q);
    assert_eq!(view.branch[0].message.content, paste);
    let hits = store.search("needle_in_the_paste", 0, 5)?.hits;
    assert_eq!(hits.len(), 1);
    assert!(hits[0]
        .snippet
        .iter()
        .any(|p| p.hit && p.text == "needle_in_the_paste"));
    let mut json = Vec::new();
    store.export_json(Some(&[chat]), &mut json)?;
    let ids = store.import_json(&mut json.as_slice())?;
    assert_eq!(store.view(ids[0])?.branch[0].message.content, paste);
    Ok(())
}
