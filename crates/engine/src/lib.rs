//! The engine room: a GGUF on disk -> mistralrs -> a stream of reply events.
//!
//! This is the only crate that depends on mistralrs. The desktop shell, the
//! CLI and the tests all go through [`Engine`].

pub mod backend;
mod budget;
mod chat_template;
mod complete;
pub mod context;
pub mod discover;
mod engine;
mod error;
pub mod gguf;
pub mod infill;
pub mod library;
pub mod memory;
pub mod prompt;
mod prompter;
mod runner;
mod sampler;
mod stream;
pub mod vocab;
mod warm;

pub use backend::{collect_reply, Backend, BackendStats, EventStream};
pub use budget::{fit, Fitted, Fitter};
pub use engine::{Activations, Engine, LoadOptions};
pub use error::EngineError;
pub use prompter::Prompter;
pub use stream::{CancelHandle, Reply, ReplyStream};
pub use warm::{stable_text, PREFILL_CHUNK};
pub use desk_tokenizer::{TokenKind, Tokenizer};
