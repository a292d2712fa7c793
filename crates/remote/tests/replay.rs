//! A stream recorded from a real llama-server (`tests/golden/llama_server_chat.*`,
//! rewritten by `llama_server.rs`'s record test) replayed by the scripted
//! server in odd-sized pieces: the reply, its ending and its counts must come
//! out as llama-server's own answer, and the request must carry our exact ids.

mod fake;

use std::path::Path;
use std::time::Duration;

use desk_engine::{collect_reply, Backend};
use desk_protocol::{Conversation, Message, OverflowPolicy, SamplingParams, StopReason};
use desk_remote::{Remote, RemoteConfig};
use fake::{models, End, Fake, Reply};

#[tokio::test]
async fn a_recorded_llama_server_stream_gives_llama_servers_answer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read_to_string(dir.join("tests/golden/llama_server_chat.sse")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("tests/golden/llama_server_chat.json")).unwrap()).unwrap();
    // Pieces of 7 bytes: events and UTF-8 split anywhere, as TCP may.
    let bytes = raw.into_bytes();
    let pieces: Vec<Vec<u8>> = bytes.chunks(7).map(<[u8]>::to_vec).collect();
    let fake = Fake::start(move |req, _| match req.path.as_str() {
        "/v1/models" => models(&["SmolLM2-135M-Instruct.Q4_1.gguf"]),
        "/v1/completions" => Reply::Stream { content_type: "text/event-stream", chunks: pieces.clone(), gap: Duration::ZERO, end: End::Close },
        _ => Reply::json(404, serde_json::json!({"error": {"message": "File Not Found"}})),
    })
    .await;
    let mut config = RemoteConfig::new(fake.url.clone());
    config.search = vec![dir.join("../../models")];
    let remote = Remote::connect(config, &mut |_| {}).await.unwrap();
    assert!(remote.token_ids(), "found the demo model's vocabulary by the server's model name");
    let conv = Conversation { system: None, messages: vec![Message::user(meta["question"].as_str().unwrap())] };
    let (stream, _) = remote.stream(&conv, &SamplingParams::greedy(40), OverflowPolicy::Error).await.unwrap();
    let reply = collect_reply(stream, |_| {}, |_| {}).await;
    assert_eq!(reply.text, meta["text"].as_str().unwrap());
    assert_eq!(reply.reason, StopReason::MaxTokens);
    assert_eq!((reply.usage.prompt_tokens, reply.usage.completion_tokens), (54, 40));
    assert!((reply.usage.decode_tok_per_s - 90.95).abs() < 0.01, "the server's own timing: {:?}", reply.usage);
    let sent = fake.requests_to("/v1/completions")[0].json();
    assert_eq!(sent["prompt"], meta["prompt_ids"], "the ids llama-server was given when recording");
}
