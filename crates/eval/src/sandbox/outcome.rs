//! What a finished run means.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

use serde::{Deserialize, Serialize};

use super::{BLOCKED_EXIT, BLOCKED_MARK};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// `reason` is the end of stderr (usually the traceback's last lines).
    Failed {
        reason: String,
    },
    /// The wall-clock timeout or the CPU limit ran out.
    TimedOut,
    /// The guard stopped something a solution never needs (network, process
    /// spawning, writing outside the sandbox directory).
    Blocked {
        reason: String,
    },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// Enough of a file's end for the marker and a traceback's last lines.
const TAIL_BYTES: u64 = 16 * 1024;
const REASON_CHARS: usize = 500;

pub(super) fn read_tail(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(super) fn classify(status: ExitStatus, stdout: &str, stderr: &str, marker: &str) -> Outcome {
    if let Some(signal) = status.signal() {
        return match signal {
            libc::SIGXCPU => Outcome::TimedOut,
            libc::SIGXFSZ => Outcome::Failed {
                reason: "file size limit exceeded (too much output?)".into(),
            },
            _ => Outcome::Failed {
                reason: with_stderr(&format!("killed by signal {signal}"), stderr),
            },
        };
    }
    match status.code() {
        Some(0) if stdout.lines().any(|line| line == marker) => Outcome::Passed,
        Some(0) => Outcome::Failed {
            reason: with_stderr("exited before the tests finished", stderr),
        },
        Some(BLOCKED_EXIT) if stderr.contains(BLOCKED_MARK) => {
            let line = stderr
                .lines()
                .rev()
                .find(|l| l.starts_with(BLOCKED_MARK))
                .unwrap_or(BLOCKED_MARK);
            Outcome::Blocked {
                reason: tail(line.trim(), REASON_CHARS),
            }
        }
        Some(code) => Outcome::Failed {
            reason: with_stderr(&format!("exit status {code}"), stderr),
        },
        None => Outcome::Failed {
            reason: with_stderr("ended without a status", stderr),
        },
    }
}

fn with_stderr(what: &str, stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        what.to_string()
    } else {
        tail(stderr, REASON_CHARS)
    }
}

/// The last whole lines of `text` that fit in `max` characters, or the last
/// `max` characters of one overlong line.
pub(super) fn tail(text: &str, max: usize) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut used = 0;
    for line in text.trim_end().lines().rev() {
        let len = line.chars().count() + usize::from(!kept.is_empty());
        if used + len > max {
            break;
        }
        used += len;
        kept.push(line);
    }
    if kept.is_empty() {
        let chars: Vec<char> = text.trim_end().chars().collect();
        return chars[chars.len().saturating_sub(max)..].iter().collect();
    }
    kept.reverse();
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_whole_lines() {
        assert_eq!(tail("a\nbb\nccc\n", 6), "bb\nccc");
        assert_eq!(tail("a\nbb\nccc\n", 100), "a\nbb\nccc");
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("x\nabcdéf", 3), "déf");
    }

    #[test]
    fn exit_codes() {
        let ok = ExitStatus::from_raw(0);
        assert_eq!(classify(ok, "out\nM\n", "", "M"), Outcome::Passed);
        assert!(matches!(
            classify(ok, "out\n", "", "M"),
            Outcome::Failed { .. }
        ));
        let blocked = ExitStatus::from_raw(BLOCKED_EXIT << 8);
        let stderr = "\ndesk-sandbox: blocked os.system ('ls',)\n";
        assert_eq!(
            classify(blocked, "", stderr, "M"),
            Outcome::Blocked {
                reason: "desk-sandbox: blocked os.system ('ls',)".into()
            }
        );
        assert!(matches!(
            classify(blocked, "", "plain", "M"),
            Outcome::Failed { .. }
        ));
        let failed = ExitStatus::from_raw(1 << 8);
        assert_eq!(
            classify(failed, "", "Traceback\nAssertionError\n", "M"),
            Outcome::Failed {
                reason: "Traceback\nAssertionError".into()
            }
        );
        assert_eq!(
            classify(ExitStatus::from_raw(libc::SIGXCPU), "", "", "M"),
            Outcome::TimedOut
        );
        assert_eq!(
            classify(ExitStatus::from_raw(libc::SIGSEGV), "", "", "M"),
            Outcome::Failed {
                reason: format!("killed by signal {}", libc::SIGSEGV)
            }
        );
    }
}
