//! Recording, reading back and resuming, branches, the sidebar list.

mod common;

use common::{exchange, new_chat, open, usage};
use desk_protocol::{ChatEvent, Dropped, Message, MessageStatus, ReplyEnd, StopReason};

#[test]
fn bundled_sqlite_has_fts5() -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open_in_memory()?;
    let enabled: bool =
        conn.query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })?;
    assert!(enabled);
    conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(x)")?;
    Ok(())
}

#[test]
fn a_recorded_chat_resumes_with_its_stats_and_title() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let chat;
    {
        let (store, report) = open(dir.path())?;
        assert!(report.created);
        assert_eq!(report.moved_aside, None);
        chat = new_chat(&store, Some("Answer briefly."))?;
        let q = store.add_message(
            chat,
            None,
            &Message::user("```py\nprint(1)\n```\nWhat does   this print?"),
        )?;
        let mut w = store.begin_reply(chat, q)?;
        let dropped = Dropped {
            message_indices: vec![0, 1],
            tokens: 300,
        };
        for ev in [
            ChatEvent::Started {
                prompt_tokens: 40,
                context_limit: 4096,
                dropped: Some(dropped.clone()),
                seed: u64::MAX - 3,
            },
            ChatEvent::Text {
                delta: "It prints ".into(),
            },
            ChatEvent::Text { delta: "1.".into() },
            ChatEvent::Usage(usage(3)),
            ChatEvent::Stopped {
                reason: StopReason::MaxTokens,
                text: "It prints 1.".into(),
            },
        ] {
            w.record(&ev)?;
        }
        assert!(
            w.push("late").is_err(),
            "a finished reply takes no more text"
        );
        let view = store.view(chat)?;
        let reply = &view.branch[1].message;
        let stats = reply.stats.clone().expect("assistant stats");
        assert_eq!(stats.end, Some(ReplyEnd::MaxTokens));
        assert_eq!(stats.dropped, Some(dropped));
        assert_eq!(stats.seed, Some(u64::MAX - 3));
        assert_eq!(stats.usage, Some(usage(3)));
    }
    let (store, report) = open(dir.path())?;
    assert!(!report.created);
    assert_eq!(report.interrupted, 0);
    let meta = store.meta(chat)?;
    // The question names the chat, not the first line of its code.
    assert_eq!(meta.title, "What does this print?");
    let resumed = store.resume(chat)?;
    assert_eq!(resumed.system.as_deref(), Some("Answer briefly."));
    assert_eq!(
        resumed.messages,
        vec![
            Message::user("```py\nprint(1)\n```\nWhat does   this print?"),
            Message::assistant("It prints 1.")
        ]
    );
    store.rename(chat, "  Printing\n one ")?;
    assert_eq!(store.meta(chat)?.title, "Printing one");
    store.rename(chat, "")?;
    assert_eq!(store.meta(chat)?.title, "What does this print?", "an empty name goes back to the automatic title");
    assert!(matches!(
        store.rename(999, "x"),
        Err(desk_store::StoreError::NoConversation(999))
    ));
    Ok(())
}

#[test]
fn edit_and_resend_keeps_both_branches_and_switching_follows_the_newest_reply() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, None)?;
    let (q1, a1) = exchange(&store, chat, None, "first question", "first answer")?;
    let (q2, a2) = exchange(&store, chat, Some(a1), "second question", "second answer")?;
    // Edit the second question: a sibling of q2 under a1.
    let (q2b, a2b) = exchange(
        &store,
        chat,
        Some(a1),
        "second question, edited",
        "edited answer",
    )?;
    // Regenerate the edited answer: a sibling of a2b.
    let (_, a2c) = (q2b, {
        let mut w = store.begin_reply(chat, q2b)?;
        w.push("regenerated")?;
        w.finish(ReplyEnd::Stopped, None, None)?;
        w.id()
    });

    let ids = |v: &desk_protocol::ConversationView| {
        v.branch.iter().map(|b| b.message.id).collect::<Vec<_>>()
    };
    let view = store.view(chat)?;
    assert_eq!(ids(&view), [q1, a1, q2b, a2c]);
    assert_eq!(view.branch[2].siblings, [q2, q2b]);
    assert_eq!(view.branch[3].siblings, [a2b, a2c]);
    assert_eq!(view.branch[0].siblings, [q1]);

    let view = store.switch_branch(chat, q2)?;
    assert_eq!(ids(&view), [q1, a1, q2, a2]);
    assert_eq!(
        ids(&store.view(chat)?),
        [q1, a1, q2, a2],
        "the switch is stored"
    );
    let view = store.switch_branch(chat, q2b)?;
    assert_eq!(
        ids(&view),
        [q1, a1, q2b, a2c],
        "newest reply under the edited question"
    );
    let view = store.switch_branch(chat, a2b)?;
    assert_eq!(ids(&view), [q1, a1, q2b, a2b]);
    assert_eq!(
        store.resume(chat)?.messages.last(),
        Some(&Message::assistant("edited answer"))
    );

    let other = new_chat(&store, None)?;
    assert!(matches!(
        store.switch_branch(other, a2),
        Err(desk_store::StoreError::WrongConversation { .. })
    ));
    assert_eq!(store.messages(chat)?.len(), 7);
    Ok(())
}

#[test]
fn list_is_most_recent_first_and_paged() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let mut chats = Vec::new();
    for i in 0..7 {
        let chat = new_chat(&store, None)?;
        exchange(&store, chat, None, &format!("question {i}"), "answer")?;
        chats.push(chat);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // Touch the oldest: it moves to the top.
    let leaf = store.meta(chats[0])?.active_leaf;
    exchange(&store, chats[0], leaf, "follow-up", "more")?;
    assert_eq!(store.count()?, 7);
    let first: Vec<_> = store.list(0, 3)?;
    let second: Vec<_> = store.list(3, 3)?;
    let last: Vec<_> = store.list(6, 3)?;
    assert_eq!(
        first.iter().map(|c| c.id).collect::<Vec<_>>(),
        [chats[0], chats[6], chats[5]]
    );
    assert_eq!(
        second.iter().map(|c| c.id).collect::<Vec<_>>(),
        [chats[4], chats[3], chats[2]]
    );
    assert_eq!(last.iter().map(|c| c.id).collect::<Vec<_>>(), [chats[1]]);
    assert_eq!(first[0].message_count, 4);
    assert_eq!(first[1].title, "question 6");
    assert!(first.windows(2).all(|w| w[0].updated_ms >= w[1].updated_ms));
    Ok(())
}

#[test]
fn a_dropped_writer_saves_its_text_as_interrupted() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, None)?;
    let q = store.add_message(chat, None, &Message::user("q"))?;
    let id = {
        let mut w = store.begin_reply(chat, q)?;
        w.push("half an ans")?;
        w.id()
    };
    let msg = store.view(chat)?.branch[1].message.clone();
    assert_eq!(msg.id, id);
    assert_eq!(msg.content, "half an ans");
    assert_eq!(msg.status, MessageStatus::Interrupted);
    assert_eq!(msg.stats.and_then(|s| s.end), Some(ReplyEnd::Interrupted));
    assert_eq!(
        store.search("half", 0, 5)?.hits.len(),
        1,
        "indexed once it stopped streaming"
    );
    Ok(())
}
