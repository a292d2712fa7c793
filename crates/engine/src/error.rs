use std::path::Path;

/// Everything the engine can refuse or fail at, each with a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model file not found: {path} ({reason})")]
    NotFound { path: String, reason: String },
    #[error("{path} is not a GGUF model: {reason}")]
    NotGguf { path: String, reason: String },
    #[error("{path} is truncated: {reason}")]
    Truncated { path: String, reason: String },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: String, reason: String },
    #[error("{path} uses the `{architecture}` architecture, which this app cannot run (supported: {supported})")]
    UnsupportedArchitecture { path: String, architecture: String, supported: String },
    #[error("loading {path} needs about {needed_mib} MiB but only {available_mib} MiB of memory is available")]
    OutOfMemoryRisk { path: String, needed_mib: u64, available_mib: u64 },
    #[error("failed to load {path}: {reason}")]
    Load { path: String, reason: String },
    #[error("the conversation needs {needed} tokens (prompt {prompt} + reply {reply}) but the context holds {limit}; shorten it or choose a policy that drops old turns")]
    ContextOverflow { needed: usize, prompt: usize, reply: usize, limit: usize },
    #[error("a context of {asked} tokens is more than {max}, {why}")]
    ContextTooLong { asked: usize, max: usize, why: String },
    #[error("nothing to answer: the conversation must end with a user message")]
    NoQuestion,
    #[error("the conversation is malformed: {0}")]
    BadConversation(String),
    #[error("this model cannot fill in code: {0}")]
    NoInfill(String),
    #[error("tokenizer failed: {0}")]
    Tokenize(String),
    #[error("generation failed: {0}")]
    Generation(String),
    /// A remote server could not be used; the message names the server and what to do.
    #[error("{0}")]
    Remote(String),
    #[error("no GGUF model found in {0}; run the setup script or pass --model PATH")]
    NoModel(String),
}

impl EngineError {
    pub(crate) fn from_open(path: &Path, e: std::io::Error) -> Self {
        let shown = path.display().to_string();
        match e.kind() {
            std::io::ErrorKind::NotFound => EngineError::NotFound { path: shown, reason: "no such file".into() },
            _ => EngineError::NotFound { path: shown, reason: e.to_string() },
        }
    }
}
