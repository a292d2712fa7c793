//! A JSON body read within [`BODY_LIMIT`](crate::BODY_LIMIT), with errors in OpenAI's shape.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::guard::BODY_LIMIT;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        // A body without a length is cut off at the limit, never read whole.
        let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT).await.map_err(|_| ApiError::TooLarge { limit: BODY_LIMIT })?;
        serde_json::from_slice(&bytes).map(Body).map_err(|e| ApiError::BadRequest(format!("the request body is not what this endpoint takes: {e}")))
    }
}
