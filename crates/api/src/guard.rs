//! What every request passes before any handler runs: the Host header
//! (DNS rebinding: Ollama's CVE-2024-28224), a browser's Origin, the key, and
//! the declared body size.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::key::same_key;
use crate::App;

/// Bodies past this are refused (before they are read whole).
pub const BODY_LIMIT: usize = 8 << 20;

pub(crate) struct Gate {
    pub key: String,
    pub bound: IpAddr,
}

pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    match check(&app.gate, &request) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn check(gate: &Gate, request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, gate.bound) {
        return Err(ApiError::Forbidden(format!(
            "the Host header {host:?} does not name this machine's loopback address; requests through other names are refused (DNS rebinding)"
        )));
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin_allowed(origin) {
            return Err(ApiError::Forbidden(format!("web pages from {origin:?} may not call the local API")));
        }
    }
    if request.uri().path() != "/health" {
        let given = headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
        match given {
            None => {
                return Err(ApiError::Unauthorized(
                    "no API key: send `Authorization: Bearer KEY` (the key is in Settings → Local API, or what DESK_API_KEY says)".into(),
                ))
            }
            Some(k) if !same_key(k, &gate.key) => return Err(ApiError::Unauthorized("incorrect API key provided".into())),
            Some(_) => {}
        }
    }
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(ApiError::TooLarge { limit: BODY_LIMIT });
    }
    Ok(())
}

/// The name part of a `Host` or origin authority: `[::1]:80` -> `::1`, `a:80` -> `a`.
fn name_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match authority.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => authority,
    }
}

fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    // RFC 6761: every *.localhost name is the machine itself; browsers resolve them so.
    name == "localhost" || name.ends_with(".localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn host_allowed(host: &str, bound: IpAddr) -> bool {
    let name = name_of(host);
    if name.is_empty() {
        return false;
    }
    // Bound to every interface, a key is required and any name may reach it.
    bound.is_unspecified() || is_loopback_name(name) || name.parse::<IpAddr>().is_ok_and(|ip| ip == bound)
}

pub(crate) fn origin_allowed(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        // `null` (sandboxed frames, file pages) and anything unparsable.
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => is_loopback_name(name_of(authority)),
        // The app's own webview.
        "tauri" => authority == "localhost",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        for ok in ["127.0.0.1:8677", "localhost:8677", "localhost", "[::1]:8677", "127.0.0.2", "app.localhost:1"] {
            assert!(host_allowed(ok, lo), "{ok}");
        }
        for bad in ["evil.com:8677", "evil.com", "", "127.0.0.1.evil.com", "localhost.evil.com:8677", "192.168.1.5:8677"] {
            assert!(!host_allowed(bad, lo), "{bad}");
        }
        let lan: IpAddr = "192.168.1.5".parse().unwrap();
        assert!(host_allowed("192.168.1.5:8677", lan));
        assert!(!host_allowed("evil.com", lan));
        assert!(host_allowed("anything", "0.0.0.0".parse().unwrap()));
    }

    #[test]
    fn origins() {
        for ok in ["http://localhost:3000", "http://127.0.0.1:8677", "https://[::1]", "tauri://localhost", "http://tauri.localhost"] {
            assert!(origin_allowed(ok), "{ok}");
        }
        for bad in ["https://evil.com", "null", "http://localhost.evil.com", "file://", "http://192.168.1.5:80", "tauri://evil"] {
            assert!(!origin_allowed(bad), "{bad}");
        }
    }
}
