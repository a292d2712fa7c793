//! One request for a file's bytes: checks what the server answered and
//! streams the body onto the end of the part.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::download::ensure_space;
use crate::hub::{FileMeta, Hub};
use crate::part::PartFile;
use crate::progress::Ticker;
use crate::Error;

/// One socket read at most; also how often the cancel flag is looked at.
const CHUNK: usize = 256 << 10;

pub(crate) enum Failure {
    /// Worth another Range request: the connection, not the file, failed.
    Retry(Error),
    Fatal(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Fatal(error)
    }
}

/// The file being fetched and where it goes.
pub(crate) struct Fetch<'a> {
    pub(crate) hub: &'a Hub,
    pub(crate) repo: &'a str,
    pub(crate) name: &'a str,
    pub(crate) meta: &'a FileMeta,
    pub(crate) library_dir: &'a Path,
}

impl Fetch<'_> {
    /// One request: continues the part from its current length until the
    /// server stops sending.
    pub(crate) fn attempt(
        &self,
        part: &mut PartFile,
        ticker: &mut Ticker<'_>,
        cancel: &AtomicBool,
    ) -> Result<(), Failure> {
        let size = self.meta.size;
        let offset = part.len();
        let response = match self.hub.get_file(self.repo, self.name, offset) {
            Ok(response) => response,
            Err(e @ Error::Network { .. }) => return Err(Failure::Retry(e)),
            // Our offset is past the server's end: start over, and let the
            // length check below catch a file shorter than the hub says.
            Err(e @ Error::Http { status: 416, .. }) if offset > 0 => {
                part.restart()?;
                return Err(Failure::Retry(e));
            }
            Err(e @ Error::Http { status, .. }) if status == 429 || status >= 500 => {
                return Err(Failure::Retry(e))
            }
            Err(e) => return Err(Failure::Fatal(e)),
        };
        let url = self.hub.file_url(self.repo, self.name);
        match response.status() {
            206 => {
                let range = response
                    .header("content-range")
                    .and_then(parse_content_range);
                match range {
                    Some((start, _)) if start != offset => {
                        return Err(Failure::Fatal(Error::Protocol {
                            url,
                            reason: format!("asked for bytes from {offset}, got them from {start}"),
                        }))
                    }
                    Some((_, Some(total))) if total != size => {
                        return Err(self.size_mismatch(total));
                    }
                    Some(_) => {}
                    None => {
                        return Err(Failure::Fatal(Error::Protocol {
                            url,
                            reason: "a partial answer without a valid Content-Range".into(),
                        }))
                    }
                }
            }
            // A server that ignores Range sends the whole file again.
            200 if offset > 0 => {
                part.restart()?;
                ensure_space(self.library_dir, size)?;
                ticker.report(0);
            }
            200 => {}
            status => {
                return Err(Failure::Fatal(Error::Protocol {
                    url,
                    reason: format!("unexpected HTTP {status} for a file download"),
                }))
            }
        }
        // Caught here rather than after streaming the whole (wrong) file.
        let body_len = response
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = body_len {
            if part.len().saturating_add(len) != size {
                return Err(self.size_mismatch(part.len().saturating_add(len)));
            }
        }

        let mut body = response.into_reader();
        let mut buf = vec![0u8; CHUNK];
        loop {
            if cancel.load(Ordering::Relaxed) {
                let part_path = part.path().to_owned();
                return Err(Failure::Fatal(Error::Cancelled {
                    part: part_path,
                    downloaded: part.len(),
                }));
            }
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::Retry(self.read_failure(&e))),
            };
            let received = part.len() + n as u64;
            if received > size {
                return Err(self.size_mismatch(received));
            }
            part.append(&buf[..n])?;
            ticker.report(part.len());
        }
        if part.len() < size {
            let reason = "the server closed the connection early".to_owned();
            return Err(Failure::Retry(Error::Network { url, reason }));
        }
        Ok(())
    }

    fn size_mismatch(&self, actual: u64) -> Failure {
        Failure::Fatal(Error::SizeMismatch {
            file: self.name.to_owned(),
            expected: self.meta.size,
            actual,
        })
    }

    fn read_failure(&self, error: &io::Error) -> Error {
        let url = self.hub.file_url(self.repo, self.name);
        // A read timeout surfaces as WouldBlock on unix and TimedOut on Windows.
        let reason = match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!(
                    "no data for {:.1} s",
                    self.hub.timeouts().read.as_secs_f64()
                )
            }
            io::ErrorKind::UnexpectedEof => "the server closed the connection early".to_owned(),
            _ => error.to_string(),
        };
        Error::Network { url, reason }
    }
}

/// Parses `bytes START-END/TOTAL` (TOTAL may be `*`) into `(START, TOTAL)`.
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 100-999/1000"),
            Some((100, Some(1000)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, None)));
        assert_eq!(parse_content_range("bytes */1000"), None);
        assert_eq!(parse_content_range("bytes 9-1/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
