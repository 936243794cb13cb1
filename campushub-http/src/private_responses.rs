//! Response headers for what depends on the caller: everything under `/api/` is answered
//! per principal, and much of it is personal data (students' and faculty members' records).

use axum::http::{header, HeaderValue};
use axum::Router;
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::AuthLayer;
use crate::rate_limit::RateLimitLayer;

/// `Cache-Control: no-store` (unless a handler chose otherwise): no browser, proxy or CDN
/// keeps a copy of a response that may carry personal data. `ETag`/`If-None-Match` still
/// work for clients that keep their own copy.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The request headers that choose the principal (`Authorization` and
/// [`API_KEY_HEADER`](crate::headers::API_KEY_HEADER)).
const VARY: HeaderValue = HeaderValue::from_static("authorization, x-api-key");

/// Wraps the `/api/` routes in `auth`, then `rate` (which sees the principal), and so that
/// every response, errors included (those of `auth` too), says it must not be stored and
/// that it varies with the credentials. One `Router::layer` call for them all: each call is
/// another boxed service per route that every request clones.
pub(crate) fn private(router: Router, auth: AuthLayer, rate: Option<RateLimitLayer>) -> Router {
    router.layer(private_headers().layer(auth).option_layer(rate))
}

/// The same headers for `/api/` routes that take their credentials in the body (login,
/// refresh): their answers carry tokens, which nothing may store either. `rate` holds them to
/// their client address's quota.
pub(crate) fn private_open(router: Router, rate: Option<RateLimitLayer>) -> Router {
    router.layer(private_headers().option_layer(rate))
}

/// `Vary` and `Cache-Control: no-store`, as one stack.
fn private_headers() -> ServiceBuilder<Stack<HeaderLayer, Stack<HeaderLayer, Identity>>> {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::appending(header::VARY, VARY))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            NO_STORE,
        ))
}

type HeaderLayer = SetResponseHeaderLayer<HeaderValue>;
