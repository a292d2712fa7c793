//! The key every request must carry: `DESK_API_KEY` when set, otherwise one
//! generated on first use and kept, readable by the user only, in the data folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Given by the caller (`DESK_API_KEY`, `--api-key`).
    Given,
    /// Kept in this file.
    File(PathBuf),
}

pub const KEY_FILE: &str = "api-key";

/// The key to require: `given` when it is non-empty, otherwise the data
/// folder's key file (made on first use).
pub fn resolve(given: Option<&str>, data_dir: &Path) -> Result<(String, KeySource), ApiError> {
    if let Some(key) = given.map(str::trim).filter(|k| !k.is_empty()) {
        return Ok((key.to_string(), KeySource::Given));
    }
    let path = data_dir.join(KEY_FILE);
    let failed = |what: &str, e: std::io::Error| ApiError::Start(format!("cannot {what} the API key file {}: {e}", path.display()));
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            restrict(&path).map_err(|e| failed("protect", e))?;
            return Ok((text.trim().to_string(), KeySource::File(path)));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed("read", e)),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| failed("create the folder of", e))?;
    let key = fresh_key()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| failed("write", e))?;
    file.write_all(format!("{key}\n").as_bytes()).map_err(|e| failed("write", e))?;
    restrict(&path).map_err(|e| failed("protect", e))?;
    Ok((key, KeySource::File(path)))
}

fn fresh_key() -> Result<String, ApiError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Start(format!("no randomness for an API key: {e}")))?;
    Ok(format!("desk-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Owner read/write only, also for a file someone made more open.
fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

/// Comparison whose time does not depend on where the keys differ.
pub fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (key, source) = resolve(None, dir.path()).unwrap();
        assert!(key.starts_with("desk-") && key.len() == 53, "{key}");
        assert_eq!(source, KeySource::File(dir.path().join(KEY_FILE)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(resolve(None, dir.path()).unwrap().0, key, "the second start reuses it");
        assert_eq!(resolve(Some(" given "), dir.path()).unwrap(), ("given".to_string(), KeySource::Given));
        assert_eq!(resolve(Some(""), dir.path()).unwrap().0, key, "an empty DESK_API_KEY is no key");
    }

    #[test]
    fn keys_compare_whole() {
        assert!(same_key("desk-abc", "desk-abc"));
        assert!(!same_key("desk-abc", "desk-abd"));
        assert!(!same_key("desk-ab", "desk-abc"));
    }
}
