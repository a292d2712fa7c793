//! The shell's commands and reply flow on a fake backend: no window, no model.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use desk_engine::EngineError;
use desk_protocol::{ChatEvent, Conversation, Message, ModelStatus, OverflowPolicy, ReplyUpdate, SamplingParams, SendRequest, StopReason};
use desk_shell::backend::{Backend, FakeBackend, LoadRequest, Loader};
use desk_shell::reply::run_reply;
use desk_shell::history::History;
use desk_shell::AppState;

fn fake_loader(reply: &'static str, delay: Duration, load_time: Duration) -> Loader {
    Arc::new(move |request: LoadRequest, _progress| {
        Box::pin(async move {
            let path: PathBuf = request.path;
            tokio::time::sleep(load_time).await;
            if path.ends_with("broken.gguf") {
                return Err(EngineError::NotGguf { path: path.display().to_string(), reason: "it looks like a text file".into() });
            }
            Ok(Arc::new(FakeBackend::new(&path, reply.to_string(), 3, delay)) as Arc<dyn Backend>)
        })
    })
}

fn request(text: &str) -> SendRequest {
    SendRequest {
        conversation: Conversation { system: None, messages: vec![Message::user(text)] },
        params: SamplingParams::default(),
        policy: OverflowPolicy::Error,
        record: None,
    }
}

async fn collect(state: &AppState, req: &SendRequest) -> Vec<ReplyUpdate> {
    let backend = state.backend().await.expect("a backend");
    let mut out = Vec::new();
    run_reply(backend.as_ref(), req, |c| state.set_current(c), |u| out.push(u)).await.unwrap();
    out
}

#[tokio::test]
async fn a_message_sent_while_loading_waits_for_the_model() {
    let state = Arc::new(AppState::new(fake_loader("Hello **world**", Duration::ZERO, Duration::from_millis(300)), vec![]));
    let loading = {
        let s = state.clone();
        tokio::spawn(async move { s.load(Some(PathBuf::from("/m/demo.gguf")), None, Box::new(|_| {})).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(state.status(), ModelStatus::Loading { .. }));
    let updates = collect(&state, &request("hi")).await; // queued behind the load
    assert!(loading.await.unwrap().is_ok());
    assert!(matches!(state.status(), ModelStatus::Ready { .. }));
    let text: String = updates.iter().filter_map(|u| match &u.event { ChatEvent::Text { delta } => Some(delta.as_str()), _ => None }).collect();
    assert_eq!(text, "Hello **world**");
    assert!(matches!(updates.last().unwrap().event, ChatEvent::Stopped { .. }));
}

#[tokio::test]
async fn a_failed_load_is_reported_and_a_later_load_works() {
    let state = AppState::new(fake_loader("ok", Duration::ZERO, Duration::ZERO), vec![]);
    let err = state.load(Some(PathBuf::from("/m/broken.gguf")), None, Box::new(|_| {})).await.unwrap_err();
    assert!(err.to_string().contains("not a GGUF"), "{err}");
    assert!(matches!(state.status(), ModelStatus::Failed { ref error, .. } if error.contains("not a GGUF")));
    let err = state.backend().await.err().expect("no backend after a failed load");
    assert!(err.to_string().contains("not a GGUF"), "{err}");
    state.load(Some(PathBuf::from("/m/good.gguf")), None, Box::new(|_| {})).await.unwrap();
    assert!(state.backend().await.is_ok());
}

#[tokio::test]
async fn stop_keeps_the_partial_reply() {
    let long = "word ".repeat(200).leak();
    let state = Arc::new(AppState::new(fake_loader(long, Duration::from_millis(5), Duration::ZERO), vec![]));
    state.load(Some(PathBuf::from("/m/demo.gguf")), None, Box::new(|_| {})).await.unwrap();
    let stopper = {
        let s = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            s.stop()
        })
    };
    let updates = collect(&state, &request("go")).await;
    assert!(stopper.await.unwrap(), "a reply was running to stop");
    let Some(ChatEvent::Stopped { reason, text }) = updates.last().map(|u| u.event.clone()) else { panic!("no stop event") };
    assert_eq!(reason, StopReason::Cancelled);
    assert!(!text.is_empty() && text.len() < long.len(), "{} of {}", text.len(), long.len());
    assert!(!state.stop(), "nothing left to stop");
}

#[tokio::test]
async fn text_deltas_arrive_with_rendered_block_patches() {
    let state = AppState::new(fake_loader("Intro.\n\n```python\nprint('hi')\n```\n", Duration::ZERO, Duration::ZERO), vec![]);
    state.load(Some(PathBuf::from("/m/demo.gguf")), None, Box::new(|_| {})).await.unwrap();
    let updates = collect(&state, &request("code please")).await;
    let mut blocks: Vec<desk_protocol::Block> = Vec::new();
    for u in &updates {
        if let Some(p) = &u.patch {
            blocks.truncate(p.from);
            blocks.extend(p.blocks.iter().cloned());
        }
    }
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    match &blocks[1] {
        desk_protocol::Block::Code(code) => {
            assert_eq!(code.source, "print('hi')\n");
            assert_eq!(code.language.as_deref(), Some("Python"));
        }
        other => panic!("expected a code block, got {other:?}"),
    }
}

#[test]
fn models_lists_usable_and_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/SmolLM2-135M-Instruct.Q4_1.gguf");
    std::os::unix::fs::symlink(&demo, dir.path().join("a.gguf")).unwrap();
    std::fs::write(dir.path().join("b.gguf"), "text").unwrap();
    let state = AppState::new(fake_loader("", Duration::ZERO, Duration::ZERO), vec![dir.path().to_path_buf()]);
    let models = state.models();
    assert_eq!(models.len(), 2);
    assert!(models[0].facts.is_some() && models[0].error.is_none());
    assert!(models[1].facts.is_none() && models[1].error.as_deref().unwrap().contains("not a GGUF"));
}

#[test]
fn the_app_builds_on_the_mock_runtime_and_answers_model_status() {
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    let state = AppState::new(fake_loader("", Duration::ZERO, Duration::ZERO), vec![]);
    let app = desk_shell::builder(mock_builder(), state).build(mock_context(noop_assets())).expect("the app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let response = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: "model_status".into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .expect("model_status answers");
    let status: ModelStatus = response.deserialize().unwrap();
    assert_eq!(status, ModelStatus::NoModel);
}

#[tokio::test]
async fn replies_are_filed_in_the_history_and_reopen_rendered() {
    use desk_protocol::{MessageStatus, Record};
    use desk_shell::history::History;
    let data = tempfile::tempdir().unwrap();
    let state = AppState::new(fake_loader("Use `rev`:\n\n```rust\nfn r(s: &str) -> String { s.chars().rev().collect() }\n```\n", Duration::ZERO, Duration::ZERO), vec![])
        .with_history(History::open(data.path()).unwrap());
    state.load(Some(PathBuf::from("/m/demo.gguf")), None, Box::new(|_| {})).await.unwrap();
    let history = state.history().unwrap();
    let mut req = request("How do I reverse a string in Rust?");
    req.record = Some(Record::default());
    let backend = state.backend().await.unwrap();
    let recorder = history.start(&req, "demo.gguf").unwrap();
    let mut updates = Vec::new();
    let mut renderer = desk_shell::reply::Streaming::default();
    desk_shell::reply::run_reply_with(backend.as_ref(), &req, &mut renderer, recorder, |_| {}, &mut |u| updates.push(u)).await.unwrap();
    let stored = updates.iter().find_map(|u| u.stored).expect("the first update says where the reply was filed");
    assert!(updates.iter().filter(|u| u.stored.is_some()).count() == 1);

    // What a restarted app would list and open.
    let list = History::open(data.path()).unwrap().list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, stored.conversation);
    let opened = history.open_conversation(stored.conversation).unwrap();
    let branch = &opened.view.branch;
    assert_eq!(branch.len(), 2);
    assert_eq!(branch[0].message.content, "How do I reverse a string in Rust?");
    assert_eq!(branch[1].message.id, stored.answer);
    assert_eq!(branch[1].message.status, MessageStatus::Complete);
    let doc = opened.documents[1].as_ref().expect("replies come rendered");
    assert!(doc.blocks.iter().any(|b| matches!(b, desk_protocol::Block::Code(_))), "{doc:?}");
    // The question comes rendered too (as typed: a paragraph, no code here).
    let question = opened.documents[0].as_ref().expect("questions come rendered");
    assert!(matches!(question.blocks.as_slice(), [desk_protocol::Block::Paragraph { .. }]), "{question:?}");

    // Regenerate: the stored question gets a second reply.
    req.record = Some(Record { conversation: Some(stored.conversation), parent: None, question: Some(stored.question) });
    let recorder = history.start(&req, "demo.gguf").unwrap();
    let mut renderer = desk_shell::reply::Streaming::default();
    desk_shell::reply::run_reply_with(backend.as_ref(), &req, &mut renderer, recorder, |_| {}, &mut |_| {}).await.unwrap();
    let opened = history.open_conversation(stored.conversation).unwrap();
    assert_eq!(opened.view.branch[1].siblings.len(), 2, "the regenerated reply is a sibling branch");
}

#[tokio::test]
async fn the_context_setting_reaches_the_loader_and_prices_the_kv_cache() {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen2 = seen.clone();
    let loader: Loader = Arc::new(move |request: LoadRequest, _progress| {
        *seen2.lock().unwrap() = Some(request.context);
        Box::pin(async move { Ok(Arc::new(FakeBackend::new(&request.path, "x".into(), 1, Duration::ZERO)) as Arc<dyn Backend>) })
    });
    let state = AppState::new(loader, vec![]);
    state.load(Some(PathBuf::from("/m/demo.gguf")), Some(2048), Box::new(|_| {})).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(Some(2048)));

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let small = state.estimate(&demo, Some(4096)).unwrap();
    let big = state.estimate(&demo, Some(8192)).unwrap();
    // SmolLM2-135M: 30 layers x 2 x 3 KV heads x 64 dims x 2 bytes per token.
    assert_eq!(small.kv_cache_bytes, 30 * 2 * 3 * 64 * 2 * 4096);
    assert_eq!(big.kv_cache_bytes, 2 * small.kv_cache_bytes);
    assert_eq!(big.total_bytes - small.total_bytes, small.kv_cache_bytes);
    assert!(state.estimate(Path::new("/nonexistent.gguf"), None).is_err());
}

#[tokio::test]
async fn completion_and_fill_stream_on_the_backend() {
    let state = AppState::new(fake_loader("    return a + b", Duration::ZERO, Duration::ZERO), vec![]);
    state.load(Some(PathBuf::from("/m/demo.gguf")), None, Box::new(|_| {})).await.unwrap();
    let backend = state.backend().await.unwrap();
    let (prefix, suffix) = desk_protocol::split_at_marker("def add(a, b):\n<FILL>\n").unwrap();
    let (events, _cancel) = backend.infill(prefix, suffix, &SamplingParams::default()).await.unwrap();
    let events: Vec<ChatEvent> = futures::StreamExt::collect(events).await;
    let text = events.iter().find_map(|e| match e {
        ChatEvent::Stopped { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(text.as_deref(), Some("    return a + b"));
}

#[path = "../../crates/models/tests/support/mod.rs"]
#[allow(dead_code)]
mod hub;

#[tokio::test(flavor = "multi_thread")]
async fn the_library_downloads_imports_and_removes_inside_its_folder() {
    use desk_shell::library;
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("models");
    // The catalogue, with nothing present yet.
    let cat = library::catalog(&lib);
    assert_eq!(cat.len(), 27);
    assert!(cat.iter().all(|e| !e.present));

    // A download from a fake hub, with progress reaching the UI side.
    let bytes = hub::content(1 << 20);
    let fake = hub::FakeHub::start(vec![hub::FakeFile::new("TheBloke/CodeLlama-7B-GGUF", "codellama-7b.Q4_K_M.gguf", bytes.clone())], hub::Behaviour::default());
    std::env::set_var("DESK_HF_ENDPOINT", fake.endpoint());
    let downloads = library::Downloads::default();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let path = library::pull(&downloads, lib.clone(), "codellama-7b:q4_k_m", move |p| seen2.lock().unwrap().push(p)).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(seen.lock().unwrap().last().map(|p| p.downloaded), Some(1 << 20));
    assert!(library::catalog(&lib).iter().any(|e| e.present && e.file == "codellama-7b.Q4_K_M.gguf"));
    assert!(!downloads.cancel(), "nothing runs after the download ended");

    // Import validates the header: the demo model goes in, a text file does not.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let entry = library::import(&lib, demo.to_str().unwrap(), true).unwrap();
    assert!(entry.fit.is_some() && entry.facts.is_some());
    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "not a model").unwrap();
    assert!(library::import(&lib, text.to_str().unwrap(), false).is_err());
    assert!(!lib.join("notes.gguf").exists());

    // Removal takes bare names only.
    assert!(library::remove(&lib, "../notes.gguf").is_err());
    assert!(text.exists());
    library::remove(&lib, "SmolLM2-135M-Instruct.Q4_1.gguf").unwrap();
    assert!(demo.exists(), "removing a linked model leaves its target alone");
}

#[tokio::test]
async fn a_long_conversation_opens_with_only_its_tail_rendered() {
    use desk_shell::history::History;
    use desk_store::{NewConversation, Store};
    let data = tempfile::tempdir().unwrap();
    let chat = {
        let (store, _) = Store::open(data.path()).unwrap();
        let chat = store.create_conversation(&NewConversation { title: "long".into(), ..NewConversation::default() }).unwrap();
        let mut parent = None;
        for i in 0..100 {
            let q = store.add_message(chat, parent, &Message::user(format!("q{i}"))).unwrap();
            parent = Some(store.add_message(chat, Some(q), &Message::assistant(format!("**a{i}**"))).unwrap());
        }
        chat
    };
    let history = History::open(data.path()).unwrap();
    let opened = history.open_tail(chat, Some(10)).unwrap();
    assert_eq!(opened.view.branch.len(), 200, "every message's text comes along");
    let rendered: Vec<usize> = opened.documents.iter().enumerate().filter(|(_, d)| d.is_some()).map(|(i, _)| i).collect();
    assert_eq!(rendered, (190..200).collect::<Vec<_>>(), "only the last 10 messages are rendered");
    let all = history.open_tail(chat, None).unwrap();
    assert_eq!(all.documents.iter().filter(|d| d.is_some()).count(), 200);

    // "Show earlier messages": one page's documents, in the order asked, and nothing else.
    let page: Vec<_> = opened.view.branch[180..190].iter().map(|b| b.message.id).collect();
    let docs = history.documents(chat, &page).unwrap();
    assert_eq!(docs.len(), 10);
    assert_eq!(desk_render::to_text(&docs[1]).trim(), "a90", "{docs:?}");
    assert_eq!(desk_render::to_text(&docs[0]).trim(), "q90");
    let stranger = history.documents(chat + 1, &page);
    assert!(stranger.is_err(), "messages of another conversation are refused");
}

#[test]
fn chats_are_renamed_exported_imported_and_deleted() {
    use desk_protocol::ExportFormat;
    use desk_store::{NewConversation, Store};
    let data = tempfile::tempdir().unwrap();
    let chat = {
        let (store, _) = Store::open(data.path()).unwrap();
        let chat = store.create_conversation(&NewConversation::default()).unwrap();
        let q = store.add_message(chat, None, &Message::user("```python\nprint(1)\n```\nWhy?")).unwrap();
        store.add_message(chat, Some(q), &Message::assistant("It prints `1`.")).unwrap();
        chat
    };
    let history = History::open(data.path()).unwrap();
    assert!(history.notice.is_none(), "a healthy database has no notice");
    assert_eq!(history.rename(chat, "  Printing one  ").unwrap(), "Printing one");

    let mut json = Vec::new();
    assert_eq!(history.export(None, ExportFormat::Json, &mut json).unwrap(), 1);
    let mut html = Vec::new();
    history.export(Some(&[chat]), ExportFormat::Html, &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Printing one") && html.contains("<pre") && !html.contains("<script"), "{html}");
    assert!(history.export(Some(&[chat + 7]), ExportFormat::Markdown, &mut Vec::new()).is_err(), "a stale id writes nothing");

    let imported = history.import(std::str::from_utf8(&json).unwrap()).unwrap();
    assert_eq!(imported.len(), 1);
    assert_ne!(imported[0], chat);
    assert!(history.import("{\"not\": \"an export\"}").is_err());
    assert_eq!(history.list().unwrap().len(), 2, "a failed import adds nothing");

    history.delete(chat).unwrap();
    let left: Vec<_> = history.list().unwrap().into_iter().map(|c| (c.id, c.title)).collect();
    assert_eq!(left, vec![(imported[0], "Printing one".to_string())]);
}

#[test]
fn a_damaged_database_is_noticed_with_where_it_went() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("history.db"), b"garbage that is not SQLite").unwrap();
    let history = History::open(data.path()).unwrap();
    let notice = history.notice.clone().expect("the window is told");
    assert!(std::fs::read(&notice.moved_to).unwrap().starts_with(b"garbage"), "{notice:?}");
    assert!(notice.moved_to.contains("history.db.corrupt-"), "{notice:?}");
    assert!(history.list().unwrap().is_empty(), "a fresh history");
}
