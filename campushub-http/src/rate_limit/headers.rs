//! The rate-limit response headers of the IETF draft `httpapi-ratelimit-headers` (as
//! structured fields): `RateLimit-Policy: "<policy>";q=<quota>;w=<window s>` and
//! `RateLimit: "<policy>";r=<remaining>;t=<seconds until the budget is whole>`, and the
//! `429` problem with `Retry-After`.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use campushub_core::rate_limit::Quota;

use crate::problem::Problem;

/// `RateLimit`: the budget left to the client that made the request.
pub(crate) static RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// `RateLimit-Policy`: the quota the client is held to.
pub(crate) static RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// Whole seconds, rounded up: a client waiting that long is never early.
pub(crate) fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Adds both headers to `headers`.
pub(crate) fn insert(
    headers: &mut HeaderMap,
    policy: &str,
    quota: Quota,
    remaining: u32,
    reset: Duration,
) {
    let window = seconds(quota.window).max(1);
    let limit = quota.limit;
    if let Ok(value) = HeaderValue::from_str(&format!("\"{policy}\";q={limit};w={window}")) {
        headers.insert(RATE_LIMIT_POLICY.clone(), value);
    }
    let reset = seconds(reset);
    if let Ok(value) = HeaderValue::from_str(&format!("\"{policy}\";r={remaining};t={reset}")) {
        headers.insert(RATE_LIMIT.clone(), value);
    }
}

/// The `429` answer to a request over its quota.
pub(crate) fn too_many(policy: &str, quota: Quota, retry_after: Duration) -> Response {
    let wait = seconds(retry_after).max(1);
    let mut problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "over the `{policy}` rate limit of {} requests per {} s; retry in {wait} s",
            quota.limit,
            seconds(quota.window).max(1)
        ),
    );
    problem.retry_after = Some(wait);
    let mut response = problem.into_response();
    insert(response.headers_mut(), policy, quota, 0, retry_after);
    response
}
