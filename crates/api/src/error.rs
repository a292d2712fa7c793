//! Every refusal as OpenAI's error JSON, so clients raise their usual errors
//! (`AuthenticationError`, `BadRequestError`, ...) with our message in them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use desk_engine::EngineError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("request bodies are limited to {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    BadRequest(String),
    /// A prompt past the context: the message carries the numbers.
    #[error("{0}")]
    ContextLength(String),
    #[error("{0}")]
    NotFound(String),
    #[error("no model is ready: {0}")]
    NoModel(String),
    #[error("{0}")]
    Internal(String),
    /// Starting the server: a port in use, a refused address.
    #[error("{0}")]
    Start(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadRequest(_) | ApiError::ContextLength(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NoModel(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) | ApiError::Start(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// OpenAI's `type` and `code` for this error.
    fn kind(&self) -> (&'static str, Option<&'static str>) {
        match self {
            ApiError::Unauthorized(_) => ("invalid_request_error", Some("invalid_api_key")),
            ApiError::Forbidden(_) => ("invalid_request_error", Some("forbidden")),
            ApiError::TooLarge { .. } => ("invalid_request_error", Some("request_too_large")),
            ApiError::BadRequest(_) => ("invalid_request_error", None),
            ApiError::ContextLength(_) => ("invalid_request_error", Some("context_length_exceeded")),
            ApiError::NotFound(_) => ("invalid_request_error", Some("not_found")),
            ApiError::NoModel(_) => ("server_error", Some("model_not_ready")),
            ApiError::Internal(_) | ApiError::Start(_) => ("server_error", None),
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let (kind, code) = self.kind();
        serde_json::json!({ "error": { "message": self.to_string(), "type": kind, "param": null, "code": code } })
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::ContextOverflow { .. } => ApiError::ContextLength(e.to_string()),
            EngineError::NoQuestion | EngineError::BadConversation(_) | EngineError::NoInfill(_) | EngineError::Tokenize(_) => {
                ApiError::BadRequest(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), axum::Json(self.body())).into_response()
    }
}
