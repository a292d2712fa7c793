//! Broken and hostile files give their own clear error, never a panic or abort.

mod common;

use std::io::Write;
use std::path::Path;

use desk_engine::{gguf, Engine, EngineError, LoadOptions};

async fn load(path: &Path) -> EngineError {
    Engine::load(path, LoadOptions::default(), |_| {}).await.err().expect("loading must fail")
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path).unwrap().write_all(bytes).unwrap();
}

fn header(version: u32, tensors: u64, kvs: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(version.to_le_bytes());
    b.extend(tensors.to_le_bytes());
    b.extend(kvs.to_le_bytes());
    b
}

#[tokio::test]
async fn missing_file() {
    let err = load(Path::new("/nonexistent/model.gguf")).await;
    assert!(matches!(err, EngineError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn text_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.gguf");
    write(&p, b"these are my notes, not a model\n");
    let err = load(&p).await;
    assert!(matches!(err, EngineError::NotGguf { ref reason, .. } if reason.contains("text")), "{err}");
}

#[tokio::test]
async fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.gguf");
    write(&p, b"");
    let err = load(&p).await;
    assert!(matches!(err, EngineError::NotGguf { ref reason, .. } if reason.contains("empty")), "{err}");
}

#[tokio::test]
async fn bad_magic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.gguf");
    let mut bytes = std::fs::read(common::demo_model()).unwrap()[..4096].to_vec();
    bytes[..4].copy_from_slice(&[0x7f, b'E', b'L', b'F']);
    write(&p, &bytes);
    let err = load(&p).await;
    assert!(matches!(err, EngineError::NotGguf { ref reason, .. } if reason.contains("magic")), "{err}");
}

#[tokio::test]
async fn truncated_gguf() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("half.gguf");
    let full = std::fs::read(common::demo_model()).unwrap();
    write(&p, &full[..full.len() / 2]);
    let err = load(&p).await;
    assert!(matches!(err, EngineError::Truncated { ref reason, .. } if reason.contains("incomplete")), "{err}");
    // Cut inside the metadata too.
    write(&p, &full[..100_000]);
    assert!(matches!(load(&p).await, EngineError::Truncated { .. }));
}

#[tokio::test]
async fn hostile_lengths_and_counts_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.gguf");
    // A key length of 2^63 aborts a process that trusts it.
    let mut b = header(3, 0, 1);
    b.extend((1u64 << 63).to_le_bytes());
    b.extend([0u8; 64]);
    write(&p, &b);
    assert!(matches!(load(&p).await, EngineError::Corrupt { .. }));
    // Counts of 2^60 panic with capacity overflow in a naive reader.
    for (t, k) in [(1u64 << 60, 0u64), (0, 1 << 60)] {
        let mut b = header(3, t, k);
        b.extend([0u8; 64]);
        write(&p, &b);
        assert!(matches!(gguf::read_header(&p), Err(EngineError::Corrupt { .. })), "tensors {t} kvs {k}");
    }
    // An array claiming 2^60 items.
    let mut b = header(3, 0, 1);
    b.extend(3u64.to_le_bytes());
    b.extend(b"key");
    b.extend(9u32.to_le_bytes());
    b.extend(8u32.to_le_bytes());
    b.extend((1u64 << 60).to_le_bytes());
    write(&p, &b);
    assert!(matches!(gguf::read_header(&p), Err(EngineError::Corrupt { .. })));
    // Unsupported version.
    write(&p, &header(1, 0, 0));
    assert!(matches!(gguf::read_header(&p), Err(EngineError::Corrupt { ref reason, .. }) if reason.contains("version")));
}

#[tokio::test]
async fn unsupported_architecture_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mamba.gguf");
    let mut w = gguf::write::GgufWriter::new();
    w.meta("general.architecture", gguf::write::MetaValue::Str("mamba".into()));
    w.write(&p).unwrap();
    let err = load(&p).await;
    assert!(matches!(err, EngineError::UnsupportedArchitecture { ref architecture, .. } if architecture == "mamba"), "{err}");
}

/// Every cut of the demo model, from inside the magic to one byte short, is an
/// error of its own kind, quickly: a partial download must never reach mistralrs.
#[test]
fn truncated_at_every_section_boundary() {
    let full = std::fs::read(common::demo_model()).unwrap();
    let h = gguf::read_header(&common::demo_model()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.gguf");
    let len = full.len() as u64;
    let last = h.tensors.iter().max_by_key(|t| t.offset).unwrap();
    let cuts = [
        0, 2, 4, 6, 8, 12, 16, 20, 24, 25, 40, 1_000, 100_000,
        h.data_start - 1, h.data_start, h.data_start + 1,
        h.data_start + last.offset, h.data_start + last.offset + 1, len - 1,
    ];
    for cut in cuts {
        write(&p, &full[..cut as usize]);
        let t0 = std::time::Instant::now();
        let err = gguf::read_header(&p).and_then(|h| gguf::facts_from_header(&p, &h)).expect_err(&format!("cut at {cut}"));
        assert!(
            matches!(err, EngineError::NotGguf { .. } | EngineError::Truncated { .. } | EngineError::Corrupt { .. }),
            "cut at {cut}: {err}"
        );
        assert!(t0.elapsed() < std::time::Duration::from_secs(5), "cut at {cut} took {:?}", t0.elapsed());
    }
}

fn two_tensor_file(p: &Path) -> Vec<u8> {
    let mut w = gguf::write::GgufWriter::new();
    w.meta("general.architecture", gguf::write::MetaValue::Str("llama".into()));
    w.tensor("a", &[8], vec![0.0; 8]).tensor("b", &[8], vec![1.0; 8]);
    w.write(p).unwrap();
    std::fs::read(p).unwrap()
}

/// The byte index of tensor `b`'s offset field in its tensor-info record.
fn offset_field_of_b(bytes: &[u8]) -> usize {
    let mut info = 1u64.to_le_bytes().to_vec();
    info.extend(b"b");
    info.extend(1u32.to_le_bytes());
    info.extend(8u64.to_le_bytes());
    info.extend(0u32.to_le_bytes());
    bytes.windows(info.len()).position(|w| w == info).unwrap() + info.len()
}

#[test]
fn overlapping_and_misaligned_tensors_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("overlap.gguf");
    let mut bytes = two_tensor_file(&p);
    gguf::read_header(&p).expect("the untouched file is valid");
    let at = offset_field_of_b(&bytes);
    assert_eq!(bytes[at..at + 8], 32u64.to_le_bytes());
    bytes[at..at + 8].copy_from_slice(&0u64.to_le_bytes());
    write(&p, &bytes);
    let err = gguf::read_header(&p).unwrap_err();
    assert!(matches!(err, EngineError::Corrupt { ref reason, .. } if reason.contains("overlap")), "{err}");
    bytes[at..at + 8].copy_from_slice(&4u64.to_le_bytes());
    write(&p, &bytes);
    let err = gguf::read_header(&p).unwrap_err();
    assert!(matches!(err, EngineError::Corrupt { ref reason, .. } if reason.contains("alignment")), "{err}");
    // An offset of 2^63 must not overflow into a small number.
    bytes[at..at + 8].copy_from_slice(&(1u64 << 63).to_le_bytes());
    write(&p, &bytes);
    assert!(gguf::read_header(&p).is_err());
}

#[tokio::test]
async fn hostile_chat_templates_are_refused_before_loading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("template.gguf");
    for (template, says) in [
        ("{% include '/etc/passwd' %}", "include"),
        ("{% for i in range(1000000000) %}{{ i }}{% endfor %}", "range"),
        ("{% for a in messages %}{% for b in messages %}{% for c in messages %}{% for d in messages %}{{ d }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "loops"),
    ] {
        let mut w = gguf::write::GgufWriter::new();
        w.meta("general.architecture", gguf::write::MetaValue::Str("llama".into()));
        w.meta("tokenizer.chat_template", gguf::write::MetaValue::Str(template.into()));
        w.write(&p).unwrap();
        let err = load(&p).await;
        assert!(matches!(err, EngineError::Corrupt { ref reason, .. } if reason.contains(says)), "{template}: {err}");
    }
}
