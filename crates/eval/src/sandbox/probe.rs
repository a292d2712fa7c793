//! Finding out, once per sandbox, what this machine offers.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::NetIsolation;
use crate::error::{Error, Result};

/// The interpreter behind `python` (a pyenv shim resolves to the real binary,
/// which then runs without the shim's environment), checked to support audit
/// hooks (3.8+).
pub(super) fn python(python: &Path) -> Result<PathBuf> {
    let fail = |message: String| Error::Python {
        python: python.display().to_string(),
        message,
    };
    let output = Command::new(python)
        .args([
            "-I",
            "-S",
            "-c",
            "import sys; print(sys.executable); print(sys.version_info >= (3, 8))",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    if !output.status.success() {
        return Err(fail(format!(
            "exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let executable = lines.next().unwrap_or_default().trim();
    if lines.next() != Some("True") {
        return Err(fail("Python 3.8 or newer is needed for audit hooks".into()));
    }
    Ok(if executable.is_empty() {
        python.to_path_buf()
    } else {
        PathBuf::from(executable)
    })
}

/// A way to run `python` without network access, if `unshare` offers one.
pub(super) fn unshare(python: &Path) -> Option<(PathBuf, NetIsolation)> {
    let unshare = which("unshare")?;
    [NetIsolation::Namespace, NetIsolation::UserNamespace]
        .into_iter()
        .find_map(|kind| {
            let mut command = Command::new(&unshare);
            if kind == NetIsolation::UserNamespace {
                command.arg("-r");
            }
            let works = command
                .args(["-n", "--"])
                .arg(python)
                .args(["-I", "-S", "-c", "pass"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            works.then(|| (unshare.clone(), kind))
        })
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
