//! A scripted OpenAI-compatible server on 127.0.0.1 for fault tests: each
//! request is answered by the script with a status, or an event stream that
//! can be cut, stalled or garbled at any point.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub enum End {
    /// Close the connection after the last chunk.
    Close,
    /// Keep the connection open and send nothing more.
    Hang,
}

pub enum Reply {
    Status { status: u16, headers: Vec<(&'static str, String)>, body: String },
    Stream { content_type: &'static str, chunks: Vec<Vec<u8>>, gap: Duration, end: End },
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::Status { status, headers: vec![("Content-Type", "application/json".into())], body: body.to_string() }
    }
    pub fn sse(chunks: Vec<String>) -> Reply {
        Reply::Stream { content_type: "text/event-stream", chunks: bytes(chunks), gap: Duration::from_millis(5), end: End::Close }
    }
}

type Script = dyn Fn(&Req, usize) -> Reply + Send + Sync;

pub struct Fake {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Req>>>,
    /// Set when a client went away while its stream was still being written.
    pub client_left: Arc<AtomicBool>,
}

impl Fake {
    /// `script(request, n)`: `n` counts earlier requests to the same path.
    pub async fn start(script: impl Fn(&Req, usize) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Req>>> = Arc::default();
        let client_left = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let (reqs, left) = (requests.clone(), client_left.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, reqs, left) = (script.clone(), reqs.clone(), left.clone());
                tokio::spawn(async move { serve(socket, script, reqs, left).await });
            }
        });
        Fake { url, requests, client_left }
    }

    pub fn requests_to(&self, path: &str) -> Vec<Req> {
        self.requests.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }
}

async fn serve(mut socket: TcpStream, script: Arc<Script>, reqs: Arc<Mutex<Vec<Req>>>, left: Arc<AtomicBool>) {
    let Some(req) = read_request(&mut socket).await else { return };
    let n = {
        let mut all = reqs.lock().unwrap();
        let n = all.iter().filter(|r| r.path == req.path).count();
        all.push(req.clone());
        n
    };
    match script(&req, n) {
        Reply::Status { status, headers, body } => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
        Reply::Stream { content_type, chunks, gap, end } => {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for chunk in chunks {
                tokio::time::sleep(gap).await;
                if socket.write_all(&chunk).await.is_err() || socket.flush().await.is_err() {
                    left.store(true, Ordering::SeqCst);
                    return;
                }
            }
            match end {
                End::Close => {
                    let _ = socket.shutdown().await;
                }
                End::Hang => {
                    // Watch for the client leaving, as a real server does.
                    let mut buf = [0u8; 64];
                    loop {
                        match tokio::time::timeout(Duration::from_secs(60), socket.read(&mut buf)).await {
                            Ok(Ok(0)) | Ok(Err(_)) => {
                                left.store(true, Ordering::SeqCst);
                                return;
                            }
                            Ok(Ok(_)) => {}
                            Err(_) => return,
                        }
                    }
                }
            }
        }
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Req> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let length: usize = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Req { method, path, headers, body: String::from_utf8_lossy(&body).to_string() })
}

/// `/v1/models` as llama-server and vLLM answer it.
pub fn models(ids: &[&str]) -> Reply {
    let data: Vec<_> = ids.iter().map(|id| serde_json::json!({"id": id, "object": "model", "owned_by": "fake"})).collect();
    Reply::json(200, serde_json::json!({"object": "list", "data": data}))
}

pub fn chat_delta(text: &str) -> String {
    format!("data: {}\n\n", serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]}))
}
pub fn chat_finish(reason: &str) -> String {
    format!("data: {}\n\n", serde_json::json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}))
}
pub fn text_delta(text: &str) -> String {
    format!("data: {}\n\n", serde_json::json!({"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": null}]}))
}
pub fn usage(prompt: usize, completion: usize) -> String {
    format!("data: {}\n\n", serde_json::json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}))
}
pub const DONE: &str = "data: [DONE]\n\n";

pub fn bytes(chunks: Vec<String>) -> Vec<Vec<u8>> {
    chunks.into_iter().map(String::into_bytes).collect()
}
