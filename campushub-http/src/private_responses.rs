//! Response headers for what depends on the caller: everything under `/api/` is answered
//! per principal, and much of it is personal data (students' and faculty members' records).

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// `Cache-Control: no-store` (unless a handler chose otherwise): no browser, proxy or CDN
/// keeps a copy of a response that may carry personal data. `ETag`/`If-None-Match` still
/// work for clients that keep their own copy.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The request headers that choose the principal (`Authorization` and
/// [`API_KEY_HEADER`](crate::headers::API_KEY_HEADER)).
const VARY: HeaderValue = HeaderValue::from_static("authorization, x-api-key");

/// Wraps the `/api/` routes so that every response, errors included, says it must not be
/// stored and that it varies with the credentials.
pub(crate) fn private(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            NO_STORE,
        ))
        .layer(SetResponseHeaderLayer::appending(header::VARY, VARY))
}
