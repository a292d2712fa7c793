//! Settings → Run code, and the one code block running at a time: the same
//! sandbox `desk eval` uses, off until the user turns it on.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use desk_eval::{Sandbox, SandboxConfig, Stream};
use desk_protocol::{OutputStream, RunEnd, RunEvent, RunSettings};

use crate::error::UiError;

const PREFS_FILE: &str = "run-code.json";

#[derive(Default)]
pub struct Runner {
    sandbox: OnceLock<Result<Sandbox, String>>,
    /// The running block's stop switch.
    current: Mutex<Option<Arc<AtomicBool>>>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Prefs {
    enabled: bool,
}

fn prefs_path() -> PathBuf {
    desk_engine::discover::data_dir().join(PREFS_FILE)
}

impl Runner {
    fn sandbox(&self) -> Result<&Sandbox, UiError> {
        let made = self.sandbox.get_or_init(|| {
            let config = SandboxConfig { timeout: Duration::from_secs(30), ..SandboxConfig::default() };
            Sandbox::new(config).map_err(|e| e.to_string())
        });
        made.as_ref().map_err(|e| UiError::Other(format!("cannot run code here: {e}")))
    }

    pub fn enabled(&self) -> bool {
        std::fs::read(prefs_path()).ok().and_then(|b| serde_json::from_slice::<Prefs>(&b).ok()).is_some_and(|p| p.enabled)
    }

    pub fn settings(&self) -> RunSettings {
        let (limits, problem) = match self.sandbox() {
            Ok(s) => (Some(s.describe()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        RunSettings { enabled: self.enabled(), limits, problem }
    }

    /// Kept in the data folder, so the choice survives a restart.
    pub fn set_enabled(&self, on: bool) -> Result<RunSettings, UiError> {
        let path = prefs_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| UiError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        let body = serde_json::to_vec(&Prefs { enabled: on }).map_err(|e| UiError::Other(e.to_string()))?;
        std::fs::write(&path, body).map_err(|e| UiError::Other(format!("cannot save {}: {e}", path.display())))?;
        Ok(self.settings())
    }

    /// Runs `code` (blocking: call it off the async runtime), sending its
    /// events to `sink`. A newer run stops an older one.
    pub fn run(&self, code: &str, sink: &mut dyn FnMut(RunEvent)) -> Result<RunEnd, UiError> {
        if !self.enabled() {
            return Err(UiError::Other("running code is off: turn it on in Settings → Run code".into()));
        }
        let sandbox = self.sandbox()?;
        let stop = Arc::new(AtomicBool::new(false));
        if let Ok(mut current) = self.current.lock() {
            if let Some(old) = current.replace(stop.clone()) {
                old.store(true, Ordering::Relaxed);
            }
        }
        sink(RunEvent::Started { limits: sandbox.describe() });
        let mut on_output = |stream: Stream, text: &str| {
            let stream = match stream {
                Stream::Stdout => OutputStream::Stdout,
                Stream::Stderr => OutputStream::Stderr,
            };
            sink(RunEvent::Output { stream, text: text.to_string() });
        };
        let result = sandbox.run_script(code, &stop, &mut on_output);
        if let Ok(mut current) = self.current.lock() {
            if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &stop)) {
                *current = None;
            }
        }
        let end = result.map_err(|e| UiError::Other(format!("the run failed: {e}")))?;
        let end = RunEnd {
            exit_code: end.exit_code,
            timed_out: end.timed_out,
            stopped: end.stopped,
            blocked: end.blocked,
            output_cut: end.output_cut,
            duration_ms: end.duration.as_millis() as u64,
        };
        sink(RunEvent::Ended(end.clone()));
        Ok(end)
    }

    pub fn stop(&self) -> bool {
        match self.current.lock().ok().and_then(|c| c.clone()) {
            Some(stop) => {
                stop.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}
