//! A stand-in for the Hugging Face hub: a tiny HTTP/1.1 server on 127.0.0.1
//! that serves the tree API and the resolve URL (through a CDN-style
//! redirect), with switches for the failures a real network produces.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use desk_models::{Downloader, Hub, Timeouts};
use sha2::{Digest, Sha256};

const WRITE_CHUNK: usize = 64 << 10;

pub struct FakeFile {
    pub repo: String,
    pub name: String,
    pub content: Vec<u8>,
    /// What the tree API claims; normally the content's own size and hash.
    pub listed_size: u64,
    pub listed_sha256: String,
}

impl FakeFile {
    pub fn new(repo: &str, name: &str, content: Vec<u8>) -> FakeFile {
        FakeFile {
            repo: repo.to_owned(),
            name: name.to_owned(),
            listed_size: content.len() as u64,
            listed_sha256: sha256_hex(&content),
            content,
        }
    }
}

/// Failure switches; they can be changed while the server runs.
#[derive(Default, Clone)]
pub struct Behaviour {
    /// Close the connection on reaching this byte of the file...
    pub drop_at: Option<usize>,
    /// ...this many times.
    pub drops: u32,
    /// Answer Range requests with 200 and the whole file.
    pub ignore_range: bool,
    /// Send headers, then wait this long before each body chunk.
    pub chunk_delay: Option<Duration>,
    /// List files in the tree API but answer 404 for their content.
    pub content_missing: bool,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub range: Option<String>,
    pub status: u16,
}

struct State {
    files: Vec<FakeFile>,
    behaviour: Behaviour,
    requests: Vec<Request>,
}

pub struct FakeHub {
    endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeHub {
    pub fn start(files: Vec<FakeFile>, behaviour: Behaviour) -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            files,
            behaviour,
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        FakeHub { endpoint, state }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A downloader with test-sized timeouts and retry pauses.
    pub fn downloader(&self, read_timeout: Duration, retries: u32) -> Downloader {
        let timeouts = Timeouts {
            connect: Duration::from_secs(2),
            read: read_timeout,
        };
        Downloader::new(Hub::new(&self.endpoint, timeouts))
            .with_retries(retries, Duration::from_millis(10))
            .with_progress_interval(Duration::ZERO)
    }

    pub fn requests(&self) -> Vec<Request> {
        lock(&self.state).requests.clone()
    }

    /// Requests for file content (resolve or CDN), not metadata.
    pub fn content_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| !r.path.starts_with("/api/"))
            .collect()
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        lock(&self.state).behaviour = behaviour;
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic bytes that do not repeat at any small period.
pub fn content(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_owned());
            }
        }
    }
    let mut stream = stream;
    let (status, head, body, behaviour) = respond(&path, range.as_deref(), state);
    lock(state).requests.push(Request {
        path,
        range,
        status,
    });
    let _ = stream.write_all(head.as_bytes());
    if let Some((file_bytes, start)) = body {
        write_body(&mut stream, &file_bytes, start, &behaviour, state);
    }
}

type Body = Option<(Arc<Vec<u8>>, usize)>;

/// Status, header block, and the body as (file bytes, first byte to send).
fn respond(
    path: &str,
    range: Option<&str>,
    state: &Mutex<State>,
) -> (u16, String, Body, Behaviour) {
    let st = lock(state);
    let behaviour = st.behaviour.clone();
    let simple = |status: u16, reason: &str, extra: &str, body: &str| {
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        );
        (status, head, None, behaviour.clone())
    };
    if let Some(repo) = path
        .strip_prefix("/api/models/")
        .and_then(|p| p.strip_suffix("/tree/main"))
    {
        let mut listing =
            vec![serde_json::json!({"type": "file", "path": "README.md", "size": 12})];
        for f in st.files.iter().filter(|f| f.repo == repo) {
            listing.push(serde_json::json!({
                "type": "file", "path": f.name, "size": f.listed_size,
                "lfs": {"oid": f.listed_sha256, "size": f.listed_size, "pointerSize": 135},
            }));
        }
        if listing.len() == 1 {
            return simple(404, "Not Found", "", "{\"error\":\"Repository not found\"}");
        }
        let json = serde_json::Value::Array(listing).to_string();
        return simple(200, "OK", "Content-Type: application/json\r\n", &json);
    }
    if let Some((repo, name)) = path.split_once("/resolve/main/") {
        // Like the hub: LFS content lives on a CDN host the resolve URL redirects to.
        let location = format!("/cdn{repo}/{name}");
        return simple(302, "Found", &format!("Location: {location}\r\n"), "");
    }
    let found = path.strip_prefix("/cdn/").and_then(|rest| {
        let (repo, name) = rest.rsplit_once('/')?;
        st.files.iter().find(|f| f.repo == repo && f.name == name)
    });
    let Some(file) = found.filter(|_| !behaviour.content_missing) else {
        return simple(404, "Not Found", "", "Entry not found");
    };
    let len = file.content.len();
    let start = range
        .filter(|_| !behaviour.ignore_range)
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|r| r.parse::<usize>().ok());
    let bytes = Arc::new(file.content.clone());
    match start {
        Some(start) if start >= len => {
            let head = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            (416, head, None, behaviour)
        }
        Some(start) => {
            let head = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                len - 1,
                len - start
            );
            (206, head, Some((bytes, start)), behaviour)
        }
        None => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
            (200, head, Some((bytes, 0)), behaviour)
        }
    }
}

fn write_body(
    stream: &mut TcpStream,
    bytes: &[u8],
    start: usize,
    behaviour: &Behaviour,
    state: &Mutex<State>,
) {
    let mut end = bytes.len();
    if let Some(drop_at) = behaviour.drop_at.filter(|&at| at >= start && at < end) {
        let mut st = lock(state);
        if st.behaviour.drops > 0 {
            st.behaviour.drops -= 1;
            end = drop_at;
        }
    }
    let mut pos = start;
    while pos < end {
        if let Some(delay) = behaviour.chunk_delay {
            thread::sleep(delay);
        }
        let next = (pos + WRITE_CHUNK).min(end);
        if stream.write_all(&bytes[pos..next]).is_err() {
            return;
        }
        pos = next;
    }
    let _ = stream.flush();
    // Dropping the stream closes the connection, mid-file when `end` was cut short.
}
