//! Shared by the integration tests: the golden inputs.

use std::path::PathBuf;

pub fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let name = p.file_stem().expect("file name").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).expect("fixture text");
            (name, text)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 8, "golden inputs missing from {}", dir.display());
    out
}
