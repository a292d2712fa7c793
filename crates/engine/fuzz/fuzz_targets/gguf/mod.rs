//! The engine's header reader, its value types and the chat-template check, compiled unchanged.

#[path = "../../../src/gguf/read.rs"]
#[allow(dead_code)]
pub mod read;
#[path = "../../../src/gguf/template.rs"]
pub mod template;
#[path = "../../../src/gguf/types.rs"]
#[allow(dead_code)]
pub mod types;
