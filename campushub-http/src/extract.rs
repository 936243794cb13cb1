//! Extractors whose rejections are problems: JSON bodies, the path id and query parameters.
//!
//! Axum's own extractors answer malformed input with plain-text bodies; these answer with
//! `application/problem+json` naming what is wrong (415 for a missing or foreign content type,
//! 413 for a body over the limit, 400 for everything else).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use campushub_core::query::{too_many_params, MAX_PARAMS};
use campushub_core::schema::check::parse_uuid;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::problem::Problem;

/// A request body that is syntactically valid JSON (any value).
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

/// A request body that is a JSON object.
#[derive(Debug, Clone)]
pub struct JsonObject(pub Map<String, Value>);

/// The `{id}` path segment, a UUID.
#[derive(Debug, Clone, Copy)]
pub struct EntityId(pub Uuid);

/// The query string as `(name, value)` pairs, in order, percent-decoded.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bytes = json_bytes(request, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| Problem::invalid("body", format!("malformed JSON: {error}")))
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match JsonBody::from_request(request, state).await?.0 {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(Problem::invalid("body", "expected a JSON object")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for EntityId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Problem::invalid("id", rejection.body_text()))?;
        // The hyphenated form the document declares, as every id parser takes it.
        parse_uuid(&text)
            .map(EntityId)
            .ok_or_else(|| Problem::invalid("id", format!("`{text}` is not a valid UUID")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let Some(query) = parts.uri.query() else {
            return Ok(QueryParams::default());
        };
        // Counted before decoding: thousands of parameters cost one scan and a small error.
        let count = query.split('&').filter(|pair| !pair.is_empty()).count();
        if count > MAX_PARAMS {
            return Err(Problem::invalid("query", too_many_params()));
        }
        // The rejection names what is wrong; the query itself is not echoed back.
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
                .map_err(|rejection| Problem::invalid("query", rejection.body_text()))?;
        Ok(QueryParams(pairs))
    }
}

/// The body of a request that declares a JSON content type, within the body limit.
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    if !is_json(request.headers()) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected `Content-Type: application/json`",
        ));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is larger than the limit",
            ),
            _ => Problem::invalid("body", rejection.body_text()),
        })
}

/// Whether the content type is `application/json` or `application/<something>+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
