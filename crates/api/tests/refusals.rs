//! Every refusal the local API makes, on the demo model over loopback, and
//! that it keeps serving after each.

#[path = "../../engine/tests/common/mod.rs"]
mod common;
mod http;

use std::sync::Arc;

use desk_api::{Config, Fixed, KeySource};
use desk_engine::Backend;
use serde_json::json;

const KEY: &str = "test-key";

async fn serve() -> desk_api::Server {
    let engine: Arc<dyn Backend> = Arc::new(common::load_demo(None).await);
    let config = Config { host: "127.0.0.1".parse().unwrap(), port: 0, key: KEY.into(), key_source: KeySource::Given };
    desk_api::start(config, Arc::new(Fixed(engine)), None).await.unwrap()
}

fn error_of(r: &http::Reply) -> (String, String) {
    let v = r.json();
    let e = &v["error"];
    assert!(e["type"].is_string(), "OpenAI's error shape: {}", r.body);
    (e["message"].as_str().unwrap_or_default().to_string(), e["code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn each_refusal_has_its_status_and_openais_error_json() {
    let server = serve().await;
    let addr = server.addr();
    let port = addr.port();
    let models = format!("GET /v1/models HTTP/1.1\r\nAuthorization: Bearer {KEY}");

    // DNS rebinding: the name a page resolved to 127.0.0.1 is not ours.
    let r = http::raw(addr, &format!("{models}\r\nHost: evil.example:{port}"), b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(error_of(&r).0.contains("DNS rebinding"));
    let r = http::raw(addr, &models, b"").await;
    assert_eq!(r.status, 403, "no Host at all: {}", r.body);
    let r = http::raw(addr, &format!("{models}\r\nHost: localhost:{port}"), b"").await;
    assert_eq!(r.status, 200, "localhost is loopback: {}", r.body);

    // A browser page elsewhere.
    let r = http::raw(addr, &format!("{models}\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://evil.example"), b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = http::raw(addr, &format!("{models}\r\nHost: 127.0.0.1:{port}\r\nOrigin: null"), b"").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = http::raw(addr, &format!("{models}\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://localhost:3000"), b"").await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The key.
    let r = http::raw(addr, &format!("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:{port}"), b"").await;
    assert_eq!((r.status, error_of(&r).1.as_str()), (401, "invalid_api_key"), "{}", r.body);
    let r = http::get(addr, "wrong", "/v1/models").await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = http::post(addr, "wrong", "/infill", &json!({"input_prefix": "a"})).await;
    assert_eq!(r.status, 401, "/infill needs the key too: {}", r.body);
    let r = http::raw(addr, &format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}"), b"").await;
    assert_eq!(r.status, 200, "health needs no key: {}", r.body);
    assert_eq!(r.json()["model"], "SmolLM2-135M-Instruct.Q4_1.gguf");

    // Size: a declared 9 MiB is refused before any of it is sent ...
    let head = format!("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\nContent-Length: {}", 9 << 20);
    let r = http::raw(addr, &head, b"").await;
    assert_eq!(r.status, 413, "{}", r.body);
    // ... and one without a length is cut off at the limit.
    let head = format!("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\nTransfer-Encoding: chunked");
    let mut body = Vec::new();
    for _ in 0..9 {
        body.extend_from_slice(format!("{:x}\r\n", 1 << 20).as_bytes());
        body.extend(std::iter::repeat_n(b' ', 1 << 20));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let r = http::raw(addr, &head, &body).await;
    assert_eq!(r.status, 413, "{}", r.body);

    // Bad requests.
    let r = http::raw(addr, &format!("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 5"), b"{nope").await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = http::post(addr, KEY, "/v1/chat/completions", &json!({"messages": []})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = http::post(addr, KEY, "/v1/chat/completions", &json!({"messages": [{"role": "assistant", "content": "hi"}]})).await;
    assert_eq!(r.status, 400, "a chat must end with a question: {}", r.body);
    let r = http::get(addr, KEY, "/v1/nothing").await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Past the context: the numbers, and no silent cut.
    let long = "word ".repeat(10_000);
    let r = http::post(addr, KEY, "/v1/chat/completions", &json!({"messages": [{"role": "user", "content": long}]})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let (message, code) = error_of(&r);
    assert_eq!(code, "context_length_exceeded");
    assert!(message.contains("tokens") && message.contains("8192"), "{message}");
    let r = http::post(addr, KEY, "/v1/completions", &json!({"prompt": long, "max_tokens": 4})).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Asked for, the overflow policy keeps the chat going instead.
    let turns = json!([
        {"role": "user", "content": long}, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "Say hi."}
    ]);
    let r = http::post(addr, KEY, "/v1/chat/completions", &json!({"messages": turns, "max_tokens": 3, "overflow": "rolling_window"})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Still serving.
    let r = http::get(addr, KEY, "/v1/models").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"][0]["id"], "SmolLM2-135M-Instruct.Q4_1.gguf");
    server.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "stopped, the port is closed");
}

#[tokio::test]
async fn a_stop_string_ends_the_reply_before_it() {
    let server = serve().await;
    let addr = server.addr();
    let ask = |stop: Option<&str>| {
        let mut body = json!({"prompt": "def fibonacci(n):", "max_tokens": 24, "temperature": 0, "ignore_eos": true});
        if let Some(s) = stop {
            body["stop"] = json!([s]);
        }
        body
    };
    let free = http::post(addr, KEY, "/v1/completions", &ask(None)).await.json();
    let text = free["choices"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(free["choices"][0]["finish_reason"], "length");
    assert_eq!(free["usage"]["completion_tokens"], 24);
    // A stop that starts a third of the way in (two characters, maybe spanning tokens).
    let chars: Vec<char> = text.chars().collect();
    let at = chars.len() / 3;
    let stop: String = chars[at..at + 2].iter().collect();
    let cut = text.find(&stop).unwrap();
    let stopped = http::post(addr, KEY, "/v1/completions", &ask(Some(&stop))).await.json();
    assert_eq!(stopped["choices"][0]["text"].as_str().unwrap(), &text[..cut], "stop {stop:?} in {text:?}");
    assert_eq!(stopped["choices"][0]["finish_reason"], "stop");
    assert!(stopped["usage"]["completion_tokens"].as_u64().unwrap() < 24);

    // Streamed, the same text arrives and no part of the stop string.
    let mut body = ask(Some(&stop));
    body["stream"] = json!(true);
    let r = http::post(addr, KEY, "/v1/completions", &body).await;
    let events = http::events(&r.body);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{}", r.body);
    let streamed: String = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str::<serde_json::Value>(e).unwrap()["choices"][0]["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(streamed, &text[..cut]);
    server.stop().await;
}

#[tokio::test]
async fn a_non_loopback_address_needs_a_given_key() {
    let engine: Arc<dyn Backend> = Arc::new(common::load_demo(None).await);
    let config = Config {
        host: "0.0.0.0".parse().unwrap(),
        port: 0,
        key: "generated".into(),
        key_source: KeySource::File("api-key".into()),
    };
    let err = desk_api::start(config, Arc::new(Fixed(engine)), None).await.err().expect("refused");
    assert!(err.to_string().contains("DESK_API_KEY"), "{err}");
}
