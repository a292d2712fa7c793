//! The server the app was last told to use: its address and model in
//! `remote.json`, its key apart in `remote-key`, readable by the user only.
//! Neither is part of the history, so no export can carry the key.

use std::io::Write;
use std::path::Path;

use desk_protocol::RemoteSettings;

pub const SETTINGS_FILE: &str = "remote.json";
pub const KEY_FILE: &str = "remote-key";

/// The saved server, if any (a damaged file is treated as none).
pub fn load(dir: &Path) -> Option<RemoteSettings> {
    let text = std::fs::read_to_string(dir.join(SETTINGS_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(RemoteSettings {
        url: v.get("url")?.as_str()?.to_string(),
        model: v.get("model").and_then(|m| m.as_str()).map(str::to_string),
        has_key: key(dir).is_some(),
    })
}

pub fn key(dir: &Path) -> Option<String> {
    let k = std::fs::read_to_string(dir.join(KEY_FILE)).ok()?;
    Some(k.trim().to_string()).filter(|k| !k.is_empty())
}

/// Save `url` and `model`; `key: None` keeps the saved key, `Some("")` removes it.
pub fn save(dir: &Path, url: &str, model: Option<&str>, key: Option<&str>) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let settings = serde_json::json!({ "url": url, "model": model });
    std::fs::write(dir.join(SETTINGS_FILE), format!("{settings}\n"))?;
    match key.map(str::trim) {
        None => Ok(()),
        Some("") => match std::fs::remove_file(dir.join(KEY_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
        Some(k) => write_private(&dir.join(KEY_FILE), k),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // A file made earlier with looser rights is tightened too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(format!("{text}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_apart_readable_by_the_user_only() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), None);
        save(dir.path(), "http://10.0.0.5:8000/v1", Some("codellama-34b"), Some("sk-secret")).unwrap();
        let s = load(dir.path()).unwrap();
        assert_eq!((s.url.as_str(), s.model.as_deref(), s.has_key), ("http://10.0.0.5:8000/v1", Some("codellama-34b"), true));
        assert!(!std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap().contains("sk-secret"));
        assert_eq!(key(dir.path()).as_deref(), Some("sk-secret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        save(dir.path(), "http://10.0.0.5:8000/v1", None, None).unwrap();
        assert_eq!(key(dir.path()).as_deref(), Some("sk-secret"), "None keeps the key");
        save(dir.path(), "http://10.0.0.5:8000/v1", None, Some("")).unwrap();
        assert_eq!(key(dir.path()), None);
        std::fs::write(dir.path().join(SETTINGS_FILE), "{broken").unwrap();
        assert_eq!(load(dir.path()), None);
    }
}
