//! A reader (the sidebar, another process) while a reply streams.

mod common;

use std::time::{Duration, Instant};

use common::{new_chat, open};
use desk_protocol::{Message, MessageStatus, ReplyEnd};

#[test]
fn a_reader_sees_the_reply_grow_without_blocking_the_writer() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, _) = open(dir.path())?;
    let chat = new_chat(&store, None)?;
    let q = store.add_message(chat, None, &Message::user("stream something long"))?;
    let mut writer = store.begin_reply(chat, q)?;
    let reply = writer.id();
    let path = dir.path().to_path_buf();

    let reader = std::thread::spawn(move || -> anyhow::Result<(usize, usize)> {
        let (store, _) = open(&path)?;
        let mut last = 0usize;
        let mut reads = 0usize;
        let mut growths = 0usize;
        loop {
            let view = store.view(chat)?;
            let m = &view.branch[1].message;
            assert_eq!(m.id, reply);
            assert!(m.content.len() >= last, "the reply never shrinks");
            if m.content.len() > last {
                growths += 1;
            }
            last = m.content.len();
            store.list(0, 50)?;
            store.search("stream", 0, 10)?;
            reads += 1;
            if m.status == MessageStatus::Complete {
                assert_eq!(
                    m.content,
                    (0..2000).map(|i| format!("w{i} ")).collect::<String>()
                );
                return Ok((reads, growths));
            }
        }
    });

    let mut slowest = Duration::ZERO;
    for i in 0..2000 {
        let t = Instant::now();
        writer.push(&format!("w{i} "))?;
        slowest = slowest.max(t.elapsed());
        if i % 100 == 0 {
            std::thread::sleep(Duration::from_millis(3));
        }
    }
    writer.finish(ReplyEnd::Finished, None, None)?;
    let (reads, growths) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    assert!(
        reads > 10 && growths > 3,
        "reads {reads}, growths {growths}"
    );
    // WAL: readers never block the writer; a push stays fast.
    assert!(
        slowest < Duration::from_millis(200),
        "slowest push {slowest:?}"
    );
    Ok(())
}
