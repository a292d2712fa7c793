//! Arbitrary bytes as a GGUF header: the reader must answer with a header or
//! an error, never panic, abort or allocate without bound.
//!
//! The reader's own source files are compiled in unchanged (`#[path]`) with a
//! stand-in for the engine's error type, so fuzzing builds in seconds instead
//! of compiling mistralrs with coverage instrumentation.
#![no_main]

mod error {
    #[derive(Debug)]
    #[allow(dead_code)]
    pub enum EngineError {
        NotFound { path: String, reason: String },
        NotGguf { path: String, reason: String },
        Truncated { path: String, reason: String },
        Corrupt { path: String, reason: String },
    }
    impl EngineError {
        pub fn from_open(path: &std::path::Path, e: std::io::Error) -> Self {
            EngineError::NotFound { path: path.display().to_string(), reason: e.to_string() }
        }
    }
}

mod gguf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(header) = gguf::read::parse_header(data, data.len() as u64, "fuzz".into()) {
        // Whatever was accepted is internally consistent.
        assert!(header.data_start <= data.len() as u64 + (1 << 20));
        if let Some(gguf::types::GgufValue::String(t)) = header.metadata.get("tokenizer.chat_template") {
            let _ = gguf::template::check(t);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gguf::template::check(text);
    }
});
