//! Every way a server can fail, against a scripted server on 127.0.0.1: each
//! gives a clear message, and a reply cut short keeps what arrived.

mod fake;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use desk_engine::{collect_reply, Backend};
use desk_protocol::{ChatEvent, Conversation, Message, OverflowPolicy, SamplingParams, StopReason};
use desk_remote::{Remote, RemoteConfig};
use fake::{bytes, chat_delta, chat_finish, models, usage, End, Fake, Reply, DONE};
use futures::StreamExt;

fn config(fake: &Fake) -> RemoteConfig {
    let mut c = RemoteConfig::new(fake.url.clone());
    // No GGUF is named as the fake's model: the server's template is used.
    c.search = Vec::new();
    c.stall = Duration::from_secs(2);
    c.retries = 2;
    c
}

fn question() -> Conversation {
    Conversation { system: Some("Be brief.".into()), messages: vec![Message::user("What is a list?")] }
}

async fn connect(fake: &Fake) -> Remote {
    Remote::connect(config(fake), &mut |_| {}).await.expect("connects")
}

/// A server that lists model `m` and answers chat with `chat(n)` (n = how many chats came before).
async fn serving(chat: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Fake {
    Fake::start(move |req, n| match req.path.as_str() {
        "/v1/models" => models(&["m"]),
        "/v1/chat/completions" => chat(n),
        _ => Reply::json(404, serde_json::json!({"error": {"message": "File Not Found", "code": 404}})),
    })
    .await
}

async fn events(remote: &Remote) -> Vec<ChatEvent> {
    let (stream, _) = remote.stream(&question(), &SamplingParams::greedy(16), OverflowPolicy::Error).await.expect("starts");
    tokio::time::timeout(Duration::from_secs(30), stream.collect::<Vec<_>>()).await.expect("the stream ends")
}

fn stopped(events: &[ChatEvent]) -> (StopReason, String) {
    match events.last() {
        Some(ChatEvent::Stopped { reason, text }) => (reason.clone(), text.clone()),
        other => panic!("the last event is not Stopped: {other:?}"),
    }
}

#[tokio::test]
async fn a_whole_reply_streams_with_the_servers_usage_and_the_request_is_openais() {
    let fake = serving(|_| Reply::sse(vec![chat_delta("A list"), chat_delta(" holds items."), chat_finish("stop"), usage(21, 4), DONE.into()])).await;
    let remote = connect(&fake).await;
    assert!(!remote.token_ids());
    assert!(remote.remote().unwrap().note.unwrap().contains("its own chat template"));
    let evs = events(&remote).await;
    assert!(matches!(evs[0], ChatEvent::Started { prompt_tokens: 0, .. }), "{evs:?}");
    assert_eq!(stopped(&evs), (StopReason::EndOfText, "A list holds items.".into()));
    let usage = evs.iter().find_map(|e| if let ChatEvent::Usage(u) = e { Some(u.clone()) } else { None }).unwrap();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (21, 4));
    let sent = fake.requests_to("/v1/chat/completions")[0].json();
    assert_eq!(sent["model"], "m");
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["temperature"], 0.0);
    assert_eq!(sent["max_tokens"], 16);
    assert_eq!(sent["messages"], serde_json::json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is a list?"}]));
}

#[tokio::test]
async fn a_server_that_is_down_is_named_with_what_to_check() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = RemoteConfig::new(format!("http://127.0.0.1:{port}"));
    c.search = Vec::new();
    let err = Remote::connect(c, &mut |_| {}).await.err().unwrap().to_string();
    assert!(err.contains(&format!("cannot reach http://127.0.0.1:{port}")) && err.contains("connection refused (is the server running"), "{err}");
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_where_to_set_it_and_the_key_is_sent_as_bearer() {
    let fake = Fake::start(|req, _| match req.header("authorization") {
        Some("Bearer right") => models(&["m"]),
        _ => Reply::json(401, serde_json::json!({"error": {"message": "Invalid API Key", "type": "authentication_error", "code": 401}})),
    })
    .await;
    let mut c = config(&fake);
    c.key = Some("wrong".into());
    let err = Remote::connect(c.clone(), &mut |_| {}).await.err().unwrap().to_string();
    assert!(err.contains("refused the key (401: Invalid API Key)") && err.contains("DESK_REMOTE_KEY"), "{err}");
    c.key = Some("right".into());
    assert!(Remote::connect(c, &mut |_| {}).await.is_ok());
    assert_eq!(fake.requests_to("/v1/models")[0].header("authorization"), Some("Bearer wrong"));
}

#[tokio::test]
async fn a_model_the_server_does_not_have_is_refused_with_the_ones_it_has() {
    let fake = serving(|_| Reply::json(404, serde_json::json!({"object": "error", "message": "The model `m` does not exist.", "code": 404}))).await;
    let mut c = config(&fake);
    c.model = Some("codellama-34b".into());
    let err = Remote::connect(c, &mut |_| {}).await.err().unwrap().to_string();
    assert!(err.contains("has no model named \"codellama-34b\"; it serves: m"), "{err}");
    // The server unloading it later: the reply's own 404.
    let remote = connect(&fake).await;
    let err = remote.stream(&question(), &SamplingParams::greedy(4), OverflowPolicy::Error).await.err().unwrap().to_string();
    assert!(err.contains("has no model `m` (404: The model `m` does not exist.)"), "{err}");
}

#[tokio::test]
async fn a_busy_server_is_retried_after_its_retry_after_and_each_wait_is_shown() {
    let fake = serving(|n| match n {
        0 => Reply::Status { status: 429, headers: vec![("Retry-After", "1".into())], body: r#"{"error":{"message":"slow down"}}"#.into() },
        1 => Reply::Status { status: 503, headers: vec![], body: r#"{"error":{"message":"Loading model"}}"#.into() },
        _ => Reply::sse(vec![chat_delta("ok"), chat_finish("stop"), DONE.into()]),
    })
    .await;
    let remote = connect(&fake).await;
    let t0 = Instant::now();
    let evs = events(&remote).await;
    let notices: Vec<&str> = evs.iter().filter_map(|e| if let ChatEvent::Notice { message } = e { Some(message.as_str()) } else { None }).collect();
    assert_eq!(notices.len(), 2, "{evs:?}");
    assert!(notices[0].contains("is busy (429); retrying in 1 s (retry 1 of 2)"), "{notices:?}");
    assert!(notices[1].contains("is busy (503); retrying in 2 s (retry 2 of 2)"), "{notices:?}");
    assert!(t0.elapsed() >= Duration::from_secs(3), "waited {:?}", t0.elapsed());
    assert_eq!(stopped(&evs), (StopReason::EndOfText, "ok".into()));
    assert_eq!(fake.requests_to("/v1/chat/completions").len(), 3);
}

#[tokio::test]
async fn a_server_busy_past_every_retry_ends_the_reply_with_an_error() {
    let fake = serving(|_| Reply::Status { status: 503, headers: vec![("Retry-After", "0".into())], body: r#"{"error":{"message":"no slot"}}"#.into() }).await;
    let remote = connect(&fake).await;
    let evs = events(&remote).await;
    let (reason, text) = stopped(&evs);
    let StopReason::Error { message } = reason else { panic!("{evs:?}") };
    assert!(message.contains("stayed busy (503: no slot) after 2 retries"), "{message}");
    assert_eq!(text, "");
    assert_eq!(fake.requests_to("/v1/chat/completions").len(), 3);
}

#[tokio::test]
async fn a_stream_cut_mid_reply_keeps_what_arrived_and_is_marked_interrupted() {
    let fake = serving(|_| Reply::sse(vec![chat_delta("def f():"), chat_delta("\n    return")])).await;
    let remote = connect(&fake).await;
    let (reason, text) = stopped(&events(&remote).await);
    assert_eq!(text, "def f():\n    return");
    let StopReason::Interrupted { message } = reason else { panic!("{reason:?}") };
    assert!(message.contains("closed the stream before the reply ended"), "{message}");
}

#[tokio::test]
async fn a_stalled_stream_times_out_keeping_what_arrived() {
    let fake = serving(|_| Reply::Stream { content_type: "text/event-stream", chunks: bytes(vec![chat_delta("half")]), gap: Duration::ZERO, end: End::Hang }).await;
    let remote = connect(&fake).await;
    let t0 = Instant::now();
    let (reason, text) = stopped(&events(&remote).await);
    assert!(t0.elapsed() >= Duration::from_secs(2));
    assert_eq!(text, "half");
    let StopReason::Interrupted { message } = reason else { panic!("{reason:?}") };
    assert!(message.contains("sent nothing for 2 s"), "{message}");
}

#[tokio::test]
async fn garbage_in_the_stream_is_an_error_not_a_reply() {
    let html = serving(|_| Reply::sse(vec![chat_delta("ok "), "<html><body>502 Bad Gateway</body></html>\n".into()])).await;
    let (reason, text) = stopped(&events(&connect(&html).await).await);
    assert_eq!(text, "ok ");
    assert!(matches!(&reason, StopReason::Error { message } if message.contains("malformed event stream") && message.contains("502 Bad Gateway")), "{reason:?}");

    let not_json = serving(|_| Reply::sse(vec!["data: {\"choices\": [\n\n".into()])).await;
    let (reason, _) = stopped(&events(&connect(&not_json).await).await);
    assert!(matches!(&reason, StopReason::Error { message } if message.contains("an event that is not JSON")), "{reason:?}");

    let error_event = serving(|_| Reply::sse(vec![chat_delta("a"), "data: {\"error\":{\"message\":\"out of memory\"}}\n\n".into()])).await;
    let (reason, text) = stopped(&events(&connect(&error_event).await).await);
    assert_eq!(text, "a");
    assert!(matches!(&reason, StopReason::Error { message } if message.contains("stopped with an error: out of memory")), "{reason:?}");

    // A 200 that is a web page, not a stream: refused before any reply starts.
    let page = serving(|_| Reply::Status { status: 200, headers: vec![("Content-Type", "text/html".into())], body: "<html>login</html>".into() }).await;
    let err = connect(&page).await.stream(&question(), &SamplingParams::greedy(4), OverflowPolicy::Error).await.err().unwrap().to_string();
    assert!(err.contains("answered with \"text/html\" instead of an event stream: <html>login</html>"), "{err}");
}

#[tokio::test]
async fn a_models_route_that_is_not_openais_says_so() {
    let fake = Fake::start(|_, _| Reply::json(200, serde_json::json!({"hello": "world"}))).await;
    let err = Remote::connect(config(&fake), &mut |_| {}).await.err().unwrap().to_string();
    assert!(err.contains("/v1/models without a model list"), "{err}");
    let html = Fake::start(|_, _| Reply::Status { status: 200, headers: vec![], body: "<html></html>".into() }).await;
    let err = Remote::connect(config(&html), &mut |_| {}).await.err().unwrap().to_string();
    assert!(err.contains("something that is not JSON"), "{err}");
}

#[tokio::test]
async fn stopping_a_reply_closes_the_connection_and_keeps_the_text_shown() {
    let chunks = bytes((0..400).map(|i| chat_delta(&format!("w{i} "))).collect());
    let fake = serving(move |_| Reply::Stream { content_type: "text/event-stream", chunks: chunks.clone(), gap: Duration::from_millis(10), end: End::Close }).await;
    let remote = connect(&fake).await;
    let (mut stream, cancel) = remote.stream(&question(), &SamplingParams::greedy(400), OverflowPolicy::Error).await.unwrap();
    let mut shown = String::new();
    while let Some(e) = stream.next().await {
        match e {
            ChatEvent::Text { delta } => {
                shown.push_str(&delta);
                if shown.matches(' ').count() == 3 {
                    cancel.cancel();
                }
            }
            ChatEvent::Stopped { reason, text } => {
                assert_eq!(reason, StopReason::Cancelled);
                assert_eq!(text, shown);
                assert_eq!(text, "w0 w1 w2 ");
                break;
            }
            _ => {}
        }
    }
    drop(stream);
    let t0 = Instant::now();
    while !fake.client_left.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.client_left.load(Ordering::SeqCst), "the server still had a reader after the stop");
}

#[tokio::test]
async fn collect_reply_gathers_a_remote_reply_like_a_local_one() {
    let fake = serving(|_| Reply::sse(vec![chat_delta("x"), chat_delta("y"), chat_finish("length"), DONE.into()])).await;
    let remote = connect(&fake).await;
    let (stream, _) = remote.stream(&question(), &SamplingParams::greedy(2), OverflowPolicy::Error).await.unwrap();
    let reply = collect_reply(stream, |_| {}, |_| {}).await;
    assert_eq!((reply.text.as_str(), reply.reason), ("xy", StopReason::MaxTokens));
}
