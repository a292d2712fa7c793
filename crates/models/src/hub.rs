//! The Hugging Face hub: where it is, what it says about a file, and the
//! request that fetches the file's bytes.

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;

use crate::names::{encode_segment, safe_file_name, safe_repo};
use crate::Error;

/// The public hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Environment variable that points downloads at a mirror or a test server.
pub const ENDPOINT_ENV: &str = "DESK_HF_ENDPOINT";

/// A repo listing is a few kilobytes; the cap only guards against a
/// misbehaving server filling memory.
const MAX_LISTING_BYTES: u64 = 16 << 20;

/// How long to wait before a stalled connection counts as failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish the TCP (and TLS) connection.
    pub connect: Duration,
    /// Between any two successful socket reads, so a stalled transfer errors instead of hanging.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            read: Duration::from_secs(60),
        }
    }
}

/// What the hub says a file is: the download is checked against both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    /// Lowercase hex SHA-256 of the whole file (its Git LFS object id).
    pub sha256: String,
}

/// A client for one hub endpoint. Cheap to clone (connections are shared).
#[derive(Debug, Clone)]
pub struct Hub {
    endpoint: String,
    timeouts: Timeouts,
    agent: ureq::Agent,
}

/// The endpoint to use given the value of [`ENDPOINT_ENV`], if set.
pub fn endpoint_from(var: Option<&str>) -> String {
    match var.map(str::trim) {
        Some(v) if !v.is_empty() => v.trim_end_matches('/').to_owned(),
        _ => DEFAULT_ENDPOINT.to_owned(),
    }
}

impl Hub {
    /// The hub named by `DESK_HF_ENDPOINT`, else huggingface.co, with default timeouts.
    pub fn from_env() -> Hub {
        let var = std::env::var(ENDPOINT_ENV).ok();
        Hub::new(&endpoint_from(var.as_deref()), Timeouts::default())
    }

    /// A hub at `endpoint` (e.g. `http://127.0.0.1:8080`), with the given timeouts.
    pub fn new(endpoint: &str, timeouts: Timeouts) -> Hub {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeouts.connect)
            .timeout_read(timeouts.read)
            .timeout_write(timeouts.read)
            .user_agent(concat!("codellama-desk/", env!("CARGO_PKG_VERSION")))
            .build();
        Hub {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            timeouts,
            agent,
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The API listing of the files at the top of a repo's main branch.
    pub fn tree_url(&self, repo: &str) -> String {
        format!("{}/api/models/{repo}/tree/main", self.endpoint)
    }

    /// Where a file's bytes are served (the hub redirects LFS files to its CDN).
    pub fn file_url(&self, repo: &str, file: &str) -> String {
        format!(
            "{}/{repo}/resolve/main/{}",
            self.endpoint,
            encode_segment(file)
        )
    }

    /// Looks up the exact size and SHA-256 of `file` in `repo`.
    pub fn file_meta(&self, repo: &str, file: &str) -> Result<FileMeta, Error> {
        let repo = safe_repo(repo)?;
        let file = safe_file_name(file)?;
        let url = self.tree_url(repo);
        let response = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| request_error(&url, e))?;
        let reader = response.into_reader().take(MAX_LISTING_BYTES);
        let listing: Vec<TreeItem> =
            serde_json::from_reader(reader).map_err(|e| Error::Protocol {
                url: url.clone(),
                reason: format!("bad file listing: {e}"),
            })?;
        let Some(item) = listing
            .into_iter()
            .find(|i| i.kind == "file" && i.path == file)
        else {
            return Err(Error::NotFound {
                url: self.file_url(repo, file),
            });
        };
        let Some(lfs) = item.lfs else {
            return Err(Error::Protocol {
                url,
                reason: format!(
                    "{file} is not stored in LFS, so the hub gives no SHA-256 to check it against"
                ),
            });
        };
        let sha256 = lfs.oid.to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Protocol {
                url,
                reason: format!("{file} has LFS oid {:?}, not a SHA-256", lfs.oid),
            });
        }
        Ok(FileMeta {
            size: lfs.size,
            sha256,
        })
    }

    /// Starts fetching `file` from byte `offset` on. The caller checks the status:
    /// a server may ignore the range and send the whole file with 200.
    pub(crate) fn get_file(
        &self,
        repo: &str,
        file: &str,
        offset: u64,
    ) -> Result<ureq::Response, Error> {
        let url = self.file_url(repo, file);
        // Compressed bodies would make byte offsets meaningless for resuming.
        let mut request = self.agent.get(&url).set("Accept-Encoding", "identity");
        if offset > 0 {
            request = request.set("Range", &format!("bytes={offset}-"));
        }
        request.call().map_err(|e| request_error(&url, e))
    }
}

#[derive(Deserialize)]
struct TreeItem {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    lfs: Option<Lfs>,
}

#[derive(Deserialize)]
struct Lfs {
    oid: String,
    size: u64,
}

fn request_error(url: &str, error: ureq::Error) -> Error {
    match error {
        ureq::Error::Status(404, _) => Error::NotFound {
            url: url.to_owned(),
        },
        ureq::Error::Status(status, _) => Error::Http {
            status,
            url: url.to_owned(),
        },
        ureq::Error::Transport(t) => {
            // Transport's own Display repeats the URL, which the message already names.
            let mut reason = t.kind().to_string();
            if let Some(message) = t.message() {
                reason = format!("{reason}: {message}");
            }
            if let Some(source) = std::error::Error::source(&t) {
                reason = format!("{reason}: {source}");
            }
            Error::Network {
                url: url.to_owned(),
                reason,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_defaults_and_overrides() {
        assert_eq!(endpoint_from(None), "https://huggingface.co");
        assert_eq!(endpoint_from(Some("  ")), "https://huggingface.co");
        assert_eq!(
            endpoint_from(Some("http://127.0.0.1:9/")),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn urls() {
        let hub = Hub::new("https://hub.example/", Timeouts::default());
        assert_eq!(
            hub.tree_url("TheBloke/CodeLlama-7B-GGUF"),
            "https://hub.example/api/models/TheBloke/CodeLlama-7B-GGUF/tree/main"
        );
        assert_eq!(
            hub.file_url("TheBloke/CodeLlama-7B-GGUF", "codellama-7b.Q4_K_M.gguf"),
            "https://hub.example/TheBloke/CodeLlama-7B-GGUF/resolve/main/codellama-7b.Q4_K_M.gguf"
        );
    }

    #[test]
    fn default_timeouts() {
        let t = Timeouts::default();
        assert_eq!((t.connect.as_secs(), t.read.as_secs()), (15, 60));
    }
}
