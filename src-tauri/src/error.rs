use serde::Serialize;

/// The one error type commands return; it reaches the UI as a readable message.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error(transparent)]
    Engine(#[from] desk_engine::EngineError),
    #[error("no model is loaded: {0}")]
    NoModel(String),
    #[error("only http and https links are opened, not `{0}`")]
    LinkRefused(String),
    #[error("{0}")]
    Other(String),
}

impl Serialize for UiError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
