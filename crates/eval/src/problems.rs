//! The HumanEval problem set, as shipped in `HumanEval.jsonl.gz`.

use std::io::{ErrorKind, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub task_id: String,
    /// Imports, helpers, and the entry point's signature and docstring.
    pub prompt: String,
    /// The reference body that continues `prompt`.
    pub canonical_solution: String,
    /// Defines `check(candidate)`.
    pub test: String,
    pub entry_point: String,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads `.jsonl` or `.jsonl.gz` (recognised by content, not by name).
pub fn load(path: impl AsRef<Path>) -> Result<Vec<Problem>> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(|source| match source.kind() {
        ErrorKind::NotFound => Error::MissingData {
            path: path.to_path_buf(),
        },
        _ => Error::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let gzipped_name = path.extension().is_some_and(|e| e == "gz");
    let text = if raw.starts_with(&GZIP_MAGIC) || gzipped_name {
        let mut text = String::new();
        GzDecoder::new(raw.as_slice())
            .read_to_string(&mut text)
            .map_err(|source| Error::Gzip {
                path: path.to_path_buf(),
                source,
            })?;
        text
    } else {
        String::from_utf8(raw).map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(ErrorKind::InvalidData, e),
        })?
    };
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let problem: Problem = serde_json::from_str(line).map_err(|e| Error::BadLine {
            path: path.to_path_buf(),
            line: index + 1,
            message: e.to_string(),
        })?;
        problems.push(problem);
    }
    if problems.is_empty() {
        return Err(Error::NoProblems {
            path: path.to_path_buf(),
        });
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    const LINE: &str = r#"{"task_id": "T/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n", "test": "def check(c):\n    assert c() == 1\n", "entry_point": "f"}"#;

    #[test]
    fn reads_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("p.jsonl");
        std::fs::write(&plain, format!("{LINE}\n\n{LINE}\n")).unwrap();
        let problems = load(&plain).unwrap();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].entry_point, "f");

        let gz = dir.path().join("p.jsonl.gz");
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(LINE.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(load(&gz).unwrap()[0].task_id, "T/0");
    }

    #[test]
    fn missing_file_says_how_to_fetch() {
        let err = load("/nonexistent/dir/HumanEval.jsonl.gz").unwrap_err();
        assert!(matches!(err, Error::MissingData { .. }));
        assert!(
            err.to_string()
                .contains("fetch-humaneval.sh /nonexistent/dir"),
            "{err}"
        );
    }

    #[test]
    fn bad_gzip_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("p.jsonl.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
        assert!(matches!(load(&gz).unwrap_err(), Error::Gzip { .. }));
        std::fs::write(&gz, LINE).unwrap();
        assert!(matches!(load(&gz).unwrap_err(), Error::Gzip { .. }));
    }

    #[test]
    fn bad_line_has_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("p.jsonl");
        std::fs::write(&plain, format!("{LINE}\n{{\"task_id\": 3}}\n")).unwrap();
        let err = load(&plain).unwrap_err();
        assert!(matches!(err, Error::BadLine { line: 2, .. }), "{err}");
        std::fs::write(&plain, "\n\n").unwrap();
        assert!(matches!(
            load(&plain).unwrap_err(),
            Error::NoProblems { .. }
        ));
    }
}
