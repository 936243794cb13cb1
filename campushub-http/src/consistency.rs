//! The `Consistency-Token` header: written on every write response, read on requests to get
//! read-your-writes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use campushub_core::{ConsistencyToken, ReadOptions};

pub use crate::headers::CONSISTENCY_TOKEN;
use crate::problem::Problem;

/// How the request's reads must be served: after the token it carries, if any.
#[derive(Debug, Clone, Default)]
pub struct ReadConsistency(pub ReadOptions);

impl<S: Send + Sync> FromRequestParts<S> for ReadConsistency {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(&CONSISTENCY_TOKEN) else {
            return Ok(ReadConsistency(ReadOptions::after(None)));
        };
        let text = value
            .to_str()
            .map_err(|_| Problem::invalid("Consistency-Token", "not ASCII text"))?;
        let token: ConsistencyToken = text.trim().parse().map_err(|_| {
            Problem::invalid(
                "Consistency-Token",
                "expected the `HI/LO` hexadecimal form a write returned (or that position as one hexadecimal number)",
            )
        })?;
        Ok(ReadConsistency(ReadOptions::after(Some(token))))
    }
}

/// Sets the header on a write response when the store reported a token.
pub fn set_token(headers: &mut HeaderMap, token: Option<ConsistencyToken>) {
    if let Some(token) = token {
        if let Ok(value) = HeaderValue::try_from(token.to_string()) {
            headers.insert(CONSISTENCY_TOKEN.clone(), value);
        }
    }
}
