//! Checks on the names that come from the catalogue, the command line or the
//! hub before they become a path in the library folder or part of a URL.

use crate::Error;

/// Longest accepted file name, leaving room for the `.part` suffix within the
/// 255-byte limit most file systems have.
const MAX_FILE_NAME: usize = 250;

/// Names Windows treats as devices whatever the extension (`con.gguf` opens the console).
const WINDOWS_DEVICES: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Returns `name` unchanged if it is a plain `.gguf` file name that can only
/// ever mean a file directly inside the library folder.
///
/// Refused: empty names, separators (`/`, `\`), `..`, a leading `.` (hidden
/// files and `.gguf` alone), drive letters and other `:` uses, NUL and other
/// control characters, Windows device names, other extensions, and names too
/// long to carry a `.part` suffix.
pub fn safe_file_name(name: &str) -> Result<&str, Error> {
    let refuse = |reason: &'static str| Error::UnsafeName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(refuse("the name is empty"));
    }
    if name.len() > MAX_FILE_NAME {
        return Err(refuse("the name is too long"));
    }
    if name.contains(['/', '\\']) {
        return Err(refuse("the name contains a path separator"));
    }
    if name.contains("..") {
        return Err(refuse("the name contains `..`"));
    }
    if name.starts_with('.') {
        return Err(refuse("the name starts with `.`"));
    }
    if name.contains(':') {
        return Err(refuse("the name contains `:` (a drive letter or stream)"));
    }
    if name.chars().any(char::is_control) {
        return Err(refuse("the name contains a control character"));
    }
    let Some(stem) = name.len().checked_sub(5).and_then(|i| {
        let (stem, ext) = name.split_at_checked(i)?;
        ext.eq_ignore_ascii_case(".gguf").then_some(stem)
    }) else {
        return Err(refuse("the name does not end in .gguf"));
    };
    let device = stem.split('.').next().unwrap_or(stem).trim_end();
    if WINDOWS_DEVICES
        .iter()
        .any(|d| d.eq_ignore_ascii_case(device))
    {
        return Err(refuse("the name is a Windows device name"));
    }
    Ok(name)
}

/// Returns `repo` if it is a plain `owner/name` Hugging Face repository id, so
/// it cannot change which URL path is requested.
pub fn safe_repo(repo: &str) -> Result<&str, Error> {
    let refuse = |reason: &'static str| Error::UnsafeName {
        name: repo.to_owned(),
        reason,
    };
    let mut parts = repo.split('/');
    let (Some(owner), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refuse("a repository is `owner/name`"));
    };
    for part in [owner, name] {
        if part.is_empty() || part.starts_with('.') || part.contains("..") {
            return Err(refuse("a repository part is empty or starts with `.`"));
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(refuse(
                "a repository may only use letters, digits, `-`, `_` and `.`",
            ));
        }
    }
    Ok(repo)
}

/// Percent-encodes one URL path segment, keeping RFC 3986's unreserved bytes.
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(name: &str) -> bool {
        matches!(safe_file_name(name), Err(Error::UnsafeName { .. }))
    }

    #[test]
    fn accepts_plain_gguf_names() {
        assert_eq!(
            safe_file_name("codellama-7b.Q4_K_M.gguf").unwrap(),
            "codellama-7b.Q4_K_M.gguf"
        );
        assert!(safe_file_name("model.GGUF").is_ok());
        assert!(safe_file_name("a b.gguf").is_ok());
        assert!(safe_file_name("modèle.gguf").is_ok());
    }

    #[test]
    fn refuses_traversal_and_separators() {
        for name in [
            "../../etc/passwd",
            "a/../../x.gguf",
            "../x.gguf",
            "..gguf",
            "x..gguf",
            "dir/x.gguf",
            "/abs/x.gguf",
            "/x.gguf",
            "C:\\x.gguf",
            "C:x.gguf",
            "\\\\server\\share\\x.gguf",
            "x.gguf:stream.gguf",
        ] {
            assert!(refused(name), "{name:?} was accepted");
        }
    }

    #[test]
    fn refuses_empty_hidden_and_other_extensions() {
        for name in [
            "",
            ".gguf",
            ".x.gguf",
            "x.gguf.part",
            "x.bin",
            "gguf",
            "x.gguf ",
            "x.gguf\0",
        ] {
            assert!(refused(name), "{name:?} was accepted");
        }
    }

    #[test]
    fn refuses_control_characters_devices_and_long_names() {
        assert!(refused("a\0b.gguf"));
        assert!(refused("a\nb.gguf"));
        assert!(refused("con.gguf"));
        assert!(refused("NUL.Q4.gguf"));
        assert!(refused(&format!("{}.gguf", "a".repeat(246))));
        assert!(safe_file_name(&format!("{}.gguf", "a".repeat(245))).is_ok());
        assert!(safe_file_name("console.gguf").is_ok());
    }

    #[test]
    fn repo_ids() {
        assert!(safe_repo("TheBloke/CodeLlama-7B-GGUF").is_ok());
        assert!(safe_repo("a.b/c_d").is_ok());
        for repo in [
            "",
            "x",
            "a/b/c",
            "../x",
            "a/..",
            "a/.hidden",
            "/a",
            "a/",
            "a/b?x=1",
            "a/b#c",
            "a /b",
        ] {
            assert!(safe_repo(repo).is_err(), "{repo:?} was accepted");
        }
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(
            encode_segment("codellama-7b.Q4_K_M.gguf"),
            "codellama-7b.Q4_K_M.gguf"
        );
        assert_eq!(encode_segment("a b#?.gguf"), "a%20b%23%3F.gguf");
    }
}
