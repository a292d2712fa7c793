//! Running a code block from a reply the way `desk eval` runs a candidate
//! (guard, limits, no network, a fresh folder), with its output streamed as
//! it comes and a stop that kills everything it started.

use std::io::Read;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{process, NetIsolation, Sandbox, BLOCKED_EXIT, BLOCKED_MARK, GUARD};
use crate::error::{Error, Result};

/// More output than this ends the run: a runaway `print` loop must not fill
/// the window's memory.
pub const OUTPUT_CAP: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptEnd {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stopped: bool,
    /// What the guard blocked ("socket.connect ('example.com', 80)").
    pub blocked: Option<String>,
    pub output_cut: bool,
    pub duration: Duration,
}

impl Sandbox {
    /// What a run may do, in words, for the person deciding to allow it.
    pub fn describe(&self) -> String {
        let c = &self.config;
        let net = match self.network_isolation() {
            NetIsolation::Namespace | NetIsolation::UserNamespace => "no network (a network namespace of its own)",
            NetIsolation::AuditHookOnly => "no network (blocked by an audit hook; this machine cannot make a network namespace)",
        };
        format!(
            "{net}; no other programs; writes only inside a fresh temporary folder; Python's standard library only; \
             {} s wall clock and CPU, {} MiB memory, files up to {} MiB, output up to {} MiB",
            c.timeout.as_secs(),
            c.memory_bytes >> 20,
            c.file_size_bytes >> 20,
            OUTPUT_CAP >> 20
        )
    }

    /// Runs `code` as a Python program; `on_output` gets its output as it
    /// arrives; `stop` set ends the run.
    pub fn run_script(&self, code: &str, stop: &AtomicBool, on_output: &mut dyn FnMut(Stream, &str)) -> Result<ScriptEnd> {
        let dir = tempfile::Builder::new().prefix("desk-run-").tempdir().map_err(Error::sandbox("creating a temporary directory"))?;
        let work = dir.path().join("work");
        std::fs::create_dir(&work).map_err(Error::sandbox("creating the work directory"))?;
        let work = work.canonicalize().map_err(Error::sandbox("resolving the work directory"))?;
        std::fs::write(work.join("main.py"), code).map_err(Error::sandbox("writing the program"))?;

        let mut command = self.command();
        command
            .args(["-I", "-S", "-B", "-u", "-c", &launcher(&work)])
            .current_dir(&work)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
            .env("LANG", std::env::var_os("LANG").unwrap_or_else(|| "C.UTF-8".into()))
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        process::confine(&mut command, self.limits());
        let mut child = command.spawn().map_err(Error::sandbox("starting python"))?;
        let started = Instant::now();
        let pid = child.id();
        let (tx, rx) = mpsc::channel::<(Stream, Vec<u8>)>();
        let readers: Vec<_> = [
            child.stdout.take().map(|p| (Stream::Stdout, Box::new(p) as Box<dyn Read + Send>)),
            child.stderr.take().map(|p| (Stream::Stderr, Box::new(p) as Box<dyn Read + Send>)),
        ]
        .into_iter()
        .flatten()
        .map(|(stream, mut pipe)| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 || tx.send((stream, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
        drop(tx);

        let mut out = Decoder::default();
        let mut err = Decoder::default();
        let mut total = 0usize;
        let mut stderr_tail = String::new();
        let (mut timed_out, mut stopped, mut output_cut) = (false, false, false);
        let mut deliver = |stream: Stream, bytes: &[u8], total: &mut usize, stderr_tail: &mut String| {
            *total += bytes.len();
            let decoder = if stream == Stream::Stdout { &mut out } else { &mut err };
            let text = decoder.push(bytes);
            if stream == Stream::Stderr {
                keep_tail(stderr_tail, &text);
            }
            if !text.is_empty() {
                on_output(stream, &text);
            }
        };
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok((stream, bytes)) => {
                    let room = OUTPUT_CAP.saturating_sub(total);
                    deliver(stream, &bytes[..bytes.len().min(room)], &mut total, &mut stderr_tail);
                    if bytes.len() > room {
                        output_cut = true;
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if stop.load(Ordering::Relaxed) {
                stopped = true;
                break;
            }
            if started.elapsed() >= self.config.timeout {
                timed_out = true;
                break;
            }
            if process::has_exited(pid).map_err(Error::sandbox("waiting for python"))? {
                break;
            }
        }
        // Everything it started goes too, which also closes the pipes.
        process::kill_group(pid);
        let status = child.wait().map_err(Error::sandbox("waiting for python"))?;
        let duration = started.elapsed();
        if !output_cut {
            // What was written before the exit is still in the pipes.
            let deadline = Instant::now() + Duration::from_secs(2);
            while let Ok((stream, bytes)) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                let room = OUTPUT_CAP.saturating_sub(total);
                deliver(stream, &bytes[..bytes.len().min(room)], &mut total, &mut stderr_tail);
                if bytes.len() > room {
                    output_cut = true;
                    break;
                }
            }
        }
        drop(rx);
        for r in readers {
            let _ = r.join();
        }
        for (stream, rest) in [(Stream::Stdout, out.finish()), (Stream::Stderr, err.finish())] {
            if !rest.is_empty() {
                on_output(stream, &rest);
            }
        }
        use std::os::unix::process::ExitStatusExt;
        if status.signal() == Some(libc::SIGXCPU) {
            timed_out = true;
        }
        let blocked = (status.code() == Some(BLOCKED_EXIT)).then(|| blocked_reason(&stderr_tail)).flatten();
        Ok(ScriptEnd { exit_code: status.code(), timed_out, stopped, blocked, output_cut, duration })
    }
}

/// The guard first, then the user's file compiled under its own name, so a
/// traceback points at the user's line numbers, not the guard's.
fn launcher(work: &std::path::Path) -> String {
    let root = serde_json::Value::from(work.to_string_lossy().into_owned()).to_string();
    let guard = GUARD.replace("__DESK_ROOT__", &root).replace("__DESK_EXIT__", &BLOCKED_EXIT.to_string());
    format!(
        "{guard}\n__desk_src = open('main.py', encoding='utf-8').read()\n\
         exec(compile(__desk_src, 'main.py', 'exec'), {{'__name__': '__main__', '__builtins__': __builtins__}})\n"
    )
}

fn blocked_reason(stderr: &str) -> Option<String> {
    let at = stderr.rfind(BLOCKED_MARK)?;
    let line = stderr[at + BLOCKED_MARK.len()..].lines().next().unwrap_or_default().trim();
    Some(line.to_string())
}

fn keep_tail(tail: &mut String, text: &str) {
    tail.push_str(text);
    if tail.len() > 8192 {
        let mut cut = tail.len() - 4096;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail.drain(..cut);
    }
}

/// Output bytes to text, holding back a character split across reads.
#[derive(Default)]
struct Decoder {
    pending: Vec<u8>,
}

impl Decoder {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let ready = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete character at the end waits for the next read.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text = String::from_utf8_lossy(&self.pending[..ready]).into_owned();
        self.pending.drain(..ready);
        text
    }

    fn finish(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::Decoder;

    #[test]
    fn a_character_split_across_reads_is_put_back_together() {
        let mut d = Decoder::default();
        let bytes = "é€".as_bytes();
        assert_eq!(d.push(&bytes[..1]), "");
        assert_eq!(d.push(&bytes[1..3]), "é");
        assert_eq!(d.push(&bytes[3..]), "€");
        assert_eq!(d.push(b"\xff ok"), "\u{fffd} ok");
        assert_eq!(d.finish(), "");
    }
}
