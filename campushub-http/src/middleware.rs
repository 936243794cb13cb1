//! The tower middleware around the router: request ids, tracing, metrics, compression, panic
//! and timeout handling, body limits, and a last pass that turns any bare error status into a
//! problem.

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::util::MapResponseLayer;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;

use crate::headers::API_KEY_HEADER;
pub use crate::headers::REQUEST_ID;
use crate::metrics::MetricsLayer;
use crate::problem::Problem;
use crate::request_id::SequentialRequestIds;
use crate::request_span;
use crate::state::ApiState;

/// Wraps `router` in the middleware stack (outermost first): CORS when configured,
/// sensitive-header marking, request id, request span and completion line
/// ([`request_span`]), request-id echo, compression, metrics (by route template), panic → 500
/// problem, trace context on the response (with [`ApiState::trace_context`]), bare errors →
/// problems, timeout → 408, body limit → 413.
pub fn apply<'a>(
    router: Router,
    state: &ApiState,
    templates: impl IntoIterator<Item = &'a str>,
) -> Router {
    let config = &state.config;
    let limits = ServiceBuilder::new()
        // Import files may be larger than other bodies: every extractor but the import
        // route's is held to `body_limit` by `DefaultBodyLimit` below.
        .layer(RequestBodyLimitLayer::new(body_cap(config)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(config.body_limit));
    let outer = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            API_KEY_HEADER.clone(),
        ]))
        .layer(SetRequestIdLayer::new(
            REQUEST_ID.clone(),
            SequentialRequestIds::new(),
        ))
        .layer(request_span::layer(state.trace_context.clone()))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(MetricsLayer::new(Arc::clone(&state.metrics), templates))
        .layer(CatchPanicLayer::custom(on_panic))
        // Innermost, where the body is still axum's (still inside the request span).
        .option_layer(
            state
                .trace_context
                .clone()
                .filter(|c| c.injects())
                .map(|context| {
                    MapResponseLayer::new(move |response: Response| {
                        request_span::inject(context.as_ref(), response)
                    })
                }),
        );
    // One `Router::layer` call: each call wraps every route in a boxed service again, which a
    // request clones and boxes a future for (a few allocations per level on every request).
    // The response maps are tower's `MapResponse`, not axum's `middleware::map_response`,
    // which clones the whole service below it and boxes its future on every request.
    let router = router.layer(
        outer
            .layer(MapResponseLayer::new(problemize::<LimitedBody>))
            .layer(limits),
    );
    // Outermost: a preflight carries no credentials and is answered before authentication.
    match config.cors.layer() {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The body of the responses `problemize` sees: the router's, through the body limit.
type LimitedBody = tower_http::limit::ResponseBody<Body>;

/// Smallest body worth compressing: below it, gzip costs more time than it saves bytes.
pub const MIN_COMPRESSED_SIZE: u16 = 1024;

/// tower-http's default predicate with [`MIN_COMPRESSED_SIZE`] instead of 32 bytes: no gRPC,
/// images or event streams, and no body under 1 KiB (a single record, a problem, `/healthz`);
/// nor a file served with byte ranges (`Accept-Ranges`, such as a document's bytes): it is
/// sent as stored, with its length and ranges, and its strong `ETag` names those bytes.
fn compressible() -> impl Predicate {
    SizeAbove::new(MIN_COMPRESSED_SIZE)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(without_ranges)
}

/// Whether a response does not offer byte ranges.
fn without_ranges(
    _: StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    !headers.contains_key(header::ACCEPT_RANGES)
}

fn on_panic(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "an unexpected error occurred; it has been logged",
    )
    .into_response()
}

/// Turns an error status with a bare body (none, or plain text: from the timeout or body-limit
/// layers) into a problem with the same status. JSON bodies (such as `/readyz`'s) pass.
fn problemize<B>(response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response.map(Body::new);
    }
    let bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !bare {
        return response.map(Body::new);
    }
    let detail = match status {
        StatusCode::REQUEST_TIMEOUT => "the request took longer than the configured timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than the limit",
        _ => status.canonical_reason().unwrap_or("error"),
    };
    let (parts, _) = response.into_parts();
    let mut problem = Problem::new(status, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

/// The largest body any route reads: [`HttpConfig::body_limit`], or a streamed body's limit
/// ([`HttpConfig::stream_body_limit`]), or an import's file limit when the import routes are
/// compiled in, whichever is largest.
///
/// [`HttpConfig::body_limit`]: crate::HttpConfig::body_limit
/// [`HttpConfig::stream_body_limit`]: crate::HttpConfig::stream_body_limit
fn body_cap(config: &crate::HttpConfig) -> usize {
    let cap = config.body_limit.max(config.stream_body_limit);
    if cfg!(feature = "exchange") {
        cap.max(config.imports.max_file_bytes)
    } else {
        cap
    }
}
