//! Running one candidate program against its HumanEval test in a throwaway
//! directory, under a Python audit-hook guard, resource limits, a wall-clock
//! timeout and, where the machine allows it, a network namespace of its own.

mod outcome;
mod probe;
mod process;
mod script;

use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use outcome::Outcome;
pub use script::{ScriptEnd, Stream, OUTPUT_CAP};
use process::Limits;

const GUARD: &str = include_str!("guard.py");
/// The exit status the guard uses for a blocked event.
const BLOCKED_EXIT: i32 = 97;
const BLOCKED_MARK: &str = "desk-sandbox: blocked";

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Resolved once, with the caller's environment (pyenv shims need it), to
    /// the interpreter the sandbox then runs with a cleared environment.
    pub python: PathBuf,
    pub timeout: Duration,
    /// RLIMIT_CPU; `None` follows `timeout`.
    pub cpu_seconds: Option<u64>,
    /// RLIMIT_AS.
    pub memory_bytes: u64,
    /// RLIMIT_FSIZE, which also caps what the candidate prints.
    pub file_size_bytes: u64,
    /// RLIMIT_NPROC.
    pub max_processes: u64,
    /// Run in a fresh network namespace when `unshare` can make one here.
    pub network_namespace: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            python: PathBuf::from("python3"),
            timeout: Duration::from_secs(10),
            cpu_seconds: None,
            memory_bytes: 1 << 30,
            file_size_bytes: 10 << 20,
            max_processes: 64,
            network_namespace: true,
        }
    }
}

/// How the candidate is cut off from the network, beyond the audit hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetIsolation {
    /// `unshare -n`: a namespace with only a loopback device, and that down.
    Namespace,
    /// `unshare -r -n`, for users who may not create a network namespace alone.
    UserNamespace,
    /// The audit hook is the only guard.
    AuditHookOnly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub outcome: Outcome,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    config: SandboxConfig,
    python: PathBuf,
    unshare: Option<(PathBuf, NetIsolation)>,
}

impl Sandbox {
    /// Finds the interpreter and, if asked, a working way to unshare the network.
    pub fn new(config: SandboxConfig) -> Result<Sandbox> {
        if config.timeout.is_zero() {
            return Err(Error::Settings(
                "the sandbox timeout must be positive".into(),
            ));
        }
        let python = probe::python(&config.python)?;
        let unshare = if config.network_namespace {
            probe::unshare(&python)
        } else {
            None
        };
        Ok(Sandbox {
            config,
            python,
            unshare,
        })
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The interpreter actually run.
    pub fn python(&self) -> &Path {
        &self.python
    }

    pub fn network_isolation(&self) -> NetIsolation {
        self.unshare
            .as_ref()
            .map_or(NetIsolation::AuditHookOnly, |(_, kind)| *kind)
    }

    /// Runs `program`, then `test`, then `check(entry_point)`.
    pub fn run(&self, program: &str, test: &str, entry_point: &str) -> Result<RunResult> {
        let dir = tempfile::Builder::new()
            .prefix("desk-eval-")
            .tempdir()
            .map_err(Error::sandbox("creating a temporary directory"))?;
        // The candidate may write only under work/; its captured output lies
        // beside it, out of the guard's reach.
        let work = dir.path().join("work");
        std::fs::create_dir(&work).map_err(Error::sandbox("creating the work directory"))?;
        let work = work
            .canonicalize()
            .map_err(Error::sandbox("resolving the work directory"))?;

        let marker = format!("desk-eval-passed-{}", nonce());
        let script = script(&work, program, test, entry_point, &marker);
        std::fs::write(work.join("candidate.py"), script)
            .map_err(Error::sandbox("writing the candidate"))?;
        let stdout_path = dir.path().join("stdout");
        let stderr_path = dir.path().join("stderr");
        let stdout =
            File::create(&stdout_path).map_err(Error::sandbox("creating the stdout file"))?;
        let stderr =
            File::create(&stderr_path).map_err(Error::sandbox("creating the stderr file"))?;

        let mut command = self.command();
        command
            .args(["-I", "-S", "-B", "candidate.py"])
            .current_dir(&work)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env(
                "LANG",
                std::env::var_os("LANG").unwrap_or_else(|| "C.UTF-8".into()),
            )
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        process::confine(&mut command, self.limits());
        let child = command.spawn().map_err(Error::sandbox("starting python"))?;
        // Dropping the Command closes the parent's copies of the output files.
        drop(command);
        let finished = process::wait_with_timeout(child, self.config.timeout)
            .map_err(Error::sandbox("waiting for python"))?;

        let outcome = if finished.timed_out {
            Outcome::TimedOut
        } else {
            let stdout_tail =
                outcome::read_tail(&stdout_path).map_err(Error::sandbox("reading stdout"))?;
            let stderr_tail =
                outcome::read_tail(&stderr_path).map_err(Error::sandbox("reading stderr"))?;
            outcome::classify(finished.status, &stdout_tail, &stderr_tail, &marker)
        };
        Ok(RunResult {
            outcome,
            duration: finished.duration,
        })
    }

    fn command(&self) -> Command {
        match &self.unshare {
            Some((unshare, kind)) => {
                let mut command = Command::new(unshare);
                if *kind == NetIsolation::UserNamespace {
                    command.arg("-r");
                }
                command.args(["-n", "--"]).arg(&self.python);
                command
            }
            None => Command::new(&self.python),
        }
    }

    fn limits(&self) -> Limits {
        let timeout_seconds = self.config.timeout.as_secs_f64().ceil() as u64;
        Limits {
            cpu_seconds: self.config.cpu_seconds.unwrap_or(timeout_seconds).max(1),
            memory_bytes: self.config.memory_bytes,
            file_size_bytes: self.config.file_size_bytes,
            max_processes: self.config.max_processes,
        }
    }
}

fn script(work: &Path, program: &str, test: &str, entry_point: &str, marker: &str) -> String {
    // A JSON string literal is also a valid Python one.
    let root = serde_json::Value::from(work.to_string_lossy().into_owned()).to_string();
    let guard = GUARD
        .replace("__DESK_ROOT__", &root)
        .replace("__DESK_EXIT__", &BLOCKED_EXIT.to_string());
    // The marker proves check() returned: a candidate that calls sys.exit(0)
    // exits cleanly without it.
    format!(
        "{guard}\n{program}\n\n{test}\n\ncheck({entry_point})\n\
         __import__('sys').stdout.write('\\n{marker}\\n')\n"
    )
}

/// Distinct per run, so that no candidate prints the marker by chance.
fn nonce() -> String {
    let hash = RandomState::new().hash_one((SystemTime::now(), std::process::id()));
    format!("{hash:016x}")
}
