//! Requests to the server: one client pinned to the checked addresses, the
//! key on every request, busy answers (429/503) retried with backoff, and
//! every failure turned into a sentence that says what to do.

use std::time::Duration;

use desk_engine::EngineError;
use reqwest::{Response, StatusCode, Url};
use serde_json::Value;

use crate::address::Address;

/// Waits between retries of a busy server when it does not say how long.
const BACKOFF_S: [u64; 4] = [1, 2, 4, 8];
/// A `Retry-After` longer than this is cut to it: a person is waiting.
const MOST_WAIT_S: u64 = 30;

pub struct Http {
    client: reqwest::Client,
    key: Option<String>,
    pub address: Address,
    pub retries: usize,
}

impl Http {
    /// `ca`: PEM certificates to trust besides the OS's (a server with a private CA).
    pub fn new(address: Address, key: Option<String>, connect_timeout: Duration, ca: Option<&std::path::Path>) -> Result<Http, EngineError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            // Nothing goes anywhere but the configured server, not even through a proxy.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("codellama-desk/", env!("CARGO_PKG_VERSION")));
        let bare = address.host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::IpAddr>().is_err() {
            builder = builder.resolve_to_addrs(bare, &address.addrs);
        }
        if address.api.scheme() == "https" {
            let native = rustls_native_certs::load_native_certs();
            // Without any OS roots (a bare container) rustls's bundled roots stay on.
            if !native.certs.is_empty() {
                builder = builder.tls_built_in_root_certs(false);
                for cert in native.certs {
                    if let Ok(c) = reqwest::Certificate::from_der(cert.as_ref()) {
                        builder = builder.add_root_certificate(c);
                    }
                }
            }
            if let Some(path) = ca {
                let unreadable = |why: String| EngineError::Remote(format!("cannot use the CA file {}: {why}", path.display()));
                let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unreadable(e.to_string()))?;
                if certs.is_empty() {
                    return Err(unreadable("it holds no PEM certificate".into()));
                }
                for c in certs {
                    builder = builder.add_root_certificate(c);
                }
            }
        }
        let client = builder.build().map_err(|e| EngineError::Remote(format!("cannot set up a connection to {}: {e}", address.shown())))?;
        let key = key.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        Ok(Http { client, key, address, retries: BACKOFF_S.len() })
    }

    fn request(&self, url: Url, body: Option<&Value>) -> reqwest::RequestBuilder {
        let mut req = match body {
            Some(b) => self.client.post(url).json(b),
            None => self.client.get(url),
        };
        if let Some(key) = &self.key {
            req = req.bearer_auth(key);
        }
        req
    }

    /// Send, retrying while the server says it is busy; `notice` hears each wait.
    /// `what` names the thing asked for, for a 404 ("the model `x`").
    pub async fn send(&self, url: Url, body: Option<&Value>, what: &str, notice: &mut (dyn FnMut(String) + Send)) -> Result<Response, EngineError> {
        let mut attempt = 0;
        loop {
            let response = self.request(url.clone(), body).send().await.map_err(|e| self.transport(&url, &e))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let busy = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
            if busy && attempt < self.retries {
                let wait = retry_after(&response).unwrap_or(BACKOFF_S[attempt.min(BACKOFF_S.len() - 1)]).min(MOST_WAIT_S);
                attempt += 1;
                notice(format!(
                    "{} is busy ({}); retrying in {wait} s (retry {attempt} of {})",
                    self.address.shown(),
                    status.as_u16(),
                    self.retries
                ));
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            let text = response.text().await.unwrap_or_default();
            return Err(self.refused(status, &text, what, busy));
        }
    }

    /// GET or POST and read a JSON answer.
    pub async fn json(&self, url: Url, body: Option<&Value>, what: &str, notice: &mut (dyn FnMut(String) + Send)) -> Result<Value, EngineError> {
        let response = self.send(url.clone(), body, what, notice).await?;
        let text = response.text().await.map_err(|e| self.transport(&url, &e))?;
        serde_json::from_str(&text).map_err(|_| {
            EngineError::Remote(format!("{} answered {} with something that is not JSON: {}", self.address.shown(), url.path(), snippet(&text)))
        })
    }

    pub fn transport(&self, url: &Url, e: &reqwest::Error) -> EngineError {
        let server = self.address.shown();
        let chain = error_chain(e);
        let why = if e.is_timeout() {
            "it did not answer in time".to_string()
        } else if chain.contains("Connection refused") || chain.contains("connection refused") {
            "connection refused (is the server running, on that port?)".to_string()
        } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("TLS") {
            format!("the TLS handshake failed ({chain})")
        } else {
            chain
        };
        EngineError::Remote(format!("cannot reach {server} ({}): {why}", url.path()))
    }

    fn refused(&self, status: StatusCode, body: &str, what: &str, busy: bool) -> EngineError {
        let server = self.address.shown();
        let message = server_message(body);
        let code = status.as_u16();
        EngineError::Remote(match code {
            401 | 403 => format!(
                "{server} refused the key ({code}: {message}); set DESK_REMOTE_KEY for `desk`, or the key in the app's Remote server settings"
            ),
            404 => format!("{server} has no {what} (404: {message})"),
            _ if busy => format!("{server} stayed busy ({code}: {message}) after {} retries; try again later", self.retries),
            _ => format!("{server} refused the request ({code}: {message})"),
        })
    }
}

fn retry_after(response: &Response) -> Option<u64> {
    response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// The message in OpenAI's `{"error": {"message": …}}`, llama-server's and
/// vLLM's variants, or the body's start.
pub fn server_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let found = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    found.unwrap_or_else(|| if body.trim().is_empty() { "no details".into() } else { snippet(body) })
}

/// The start of something a server sent, on one line, for an error message.
pub fn snippet(text: &str) -> String {
    let one_line: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).take(160).collect();
    if text.trim().chars().count() > 160 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_found_in_each_servers_shape() {
        assert_eq!(server_message(r#"{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}"#), "Invalid API Key");
        assert_eq!(server_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(server_message(r#"{"object":"error","message":"The model `x` does not exist.","code":404}"#), "The model `x` does not exist.");
        assert_eq!(server_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(server_message("<html>\n<b>502</b></html>"), "<html> <b>502</b></html>");
        assert_eq!(server_message(""), "no details");
    }
}
