//! RFC 9457 problem details: every error response of the router, and the one place where
//! core's [`Error`] and HTTP-level failures become status codes.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use campushub_core::{Error, ValidationErrors};
use serde::Serialize;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `type` of the `409` a write without `If-Match` answers when concurrent writes to its
/// record overtook it on every attempt (the other `409`s, a taken value or a record still
/// referenced, are `urn:campushub:problem:conflict`).
pub const CONCURRENT_WRITES: &str = "urn:campushub:problem:concurrent-writes";

/// An error response: `{"type", "title", "status", "detail", "errors": {field: [...]}}`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem (`urn:campushub:problem:validation`).
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// A short summary of the kind of problem.
    pub title: Cow<'static, str>,
    /// The HTTP status code.
    #[schema(value_type = u16)]
    #[serde(serialize_with = "status_number")]
    pub status: StatusCode,
    /// What went wrong with this request, in words.
    pub detail: String,
    /// Field (or parameter, or header) → messages; empty when no field is to blame.
    pub errors: ValidationErrors,
    /// Seconds the client should wait before trying again, sent as `Retry-After` (a `429`).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

fn status_number<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl Problem {
    /// A problem with `status` and `detail`, typed and titled from the status.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let (slug, title) = describe(status);
        Problem {
            kind: Cow::Owned(format!("urn:campushub:problem:{slug}")),
            title: Cow::Borrowed(title),
            status,
            detail: detail.into(),
            errors: ValidationErrors::new(),
            retry_after: None,
        }
    }

    /// A 400 naming `field` (a body field, query parameter or header).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Problem::from(&Error::invalid(field, message))
    }

    /// The same problem with `errors` attached.
    pub fn with_errors(mut self, errors: ValidationErrors) -> Self {
        self.errors = errors;
        self
    }
}

/// `(type slug, title)` for each status the router answers with.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("validation", "Invalid request"),
        401 => ("unauthenticated", "Authentication required"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        408 => ("timeout", "Request timed out"),
        409 => ("conflict", "Conflict"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("payload-too-large", "Payload too large"),
        428 => ("precondition-required", "Precondition required"),
        429 => ("too-many-requests", "Too many requests"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("unprocessable", "Unprocessable content"),
        503 => ("unavailable", "Service unavailable"),
        500 => ("internal", "Internal server error"),
        _ => ("http", status.canonical_reason().unwrap_or("Error")),
    }
}

/// The one mapping from core's error to a problem. Internal errors are logged here and
/// answered with a generic detail.
impl From<&Error> for Problem {
    fn from(error: &Error) -> Self {
        match error {
            Error::Validation(errors) => {
                Problem::new(StatusCode::BAD_REQUEST, error.to_string()).with_errors(errors.clone())
            }
            Error::Unprocessable(errors) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
                    .with_errors(errors.clone())
            }
            Error::NotFound { .. } => Problem::new(StatusCode::NOT_FOUND, error.to_string()),
            Error::Conflict { field, message } => {
                let mut errors = ValidationErrors::new();
                errors.add(field.clone(), message.clone());
                Problem::new(StatusCode::CONFLICT, error.to_string()).with_errors(errors)
            }
            Error::PreconditionFailed { .. } | Error::ConditionFailed { .. } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                format!("{error}; re-read the record and retry with its ETag"),
            ),
            // Not the `conflict` of a taken value: nothing is wrong with the request, and
            // sending it again may well succeed.
            Error::ConcurrentWrites { .. } => Problem {
                kind: Cow::Borrowed(CONCURRENT_WRITES),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    format!("{error}; nothing was changed: send the request again"),
                )
            },
            Error::Forbidden(message) => Problem::new(StatusCode::FORBIDDEN, message.clone()),
            Error::Unauthenticated(message) => {
                Problem::new(StatusCode::UNAUTHORIZED, message.clone())
            }
            Error::TooManyAttempts { retry_after } => {
                // Whole seconds, rounded up: a client that waits as told is let in.
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                Problem {
                    retry_after: Some(seconds.max(1)),
                    ..Problem::new(StatusCode::TOO_MANY_REQUESTS, error.to_string())
                }
            }
            Error::Unavailable { message, .. } => {
                tracing::warn!(error = ?error, "dependency unavailable");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, message.clone())
            }
            _ => {
                tracing::error!(error = ?error, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "an unexpected error occurred; it has been logged",
                )
            }
        }
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        Problem::from(&error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = match serde_json::to_vec(&self) {
            Ok(body) => body,
            Err(_) => b"{\"status\":500}".to_vec(),
        };
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"campushub\""),
            );
        }
        response
    }
}

/// The result of a handler: a response or a problem.
pub type ApiResult<T> = Result<T, Problem>;

/// A `422` problem (`application/problem+json`) whose members are `report`'s plus `type`,
/// `title`, `status` and `detail`: the answer of a bulk call or import that wrote nothing,
/// carrying the per-row report a client fixes its rows from.
pub(crate) fn rejected_report(
    mut report: serde_json::Value,
    kind: &'static str,
    title: &'static str,
    detail: String,
) -> axum::response::Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let members = [
        ("type", serde_json::Value::from(kind)),
        ("title", serde_json::Value::from(title)),
        ("status", serde_json::Value::from(status.as_u16())),
        ("detail", serde_json::Value::from(detail)),
    ];
    if let serde_json::Value::Object(object) = &mut report {
        for (name, value) in members {
            object.insert(name.to_owned(), value);
        }
    }
    let mut response = axum::response::IntoResponse::into_response((status, report.to_string()));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(PROBLEM_JSON),
    );
    response
}
