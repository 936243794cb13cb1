//! The request span and the completion line ("access log"), through tower-http's
//! [`TraceLayer`].
//!
//! The span is at INFO so that every event of a request at the default `info` filter — a
//! handler's warning, a slow statement — carries its request id, route and trace id. Its field
//! names follow OpenTelemetry's HTTP conventions, so the same span is the server span of an
//! exported trace. The completion line is an INFO event of target [`ACCESS_TARGET`] with the
//! status and latency; a filter such as `info,campushub_http::access=warn` turns it off
//! without losing the span.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use axum::response::Response as AxumResponse;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, MakeSpan, OnResponse, TraceLayer};
use tracing::field::Empty;
use tracing::Span;

use crate::headers::REQUEST_ID;
use crate::trace_context::TraceContext;

/// The target of the completion line of every request.
pub const ACCESS_TARGET: &str = "campushub_http::access";

/// The layer that opens the request span (joined to the caller's trace through `context`,
/// when there is one) and writes the completion line.
pub(crate) fn layer(
    context: Option<Arc<dyn TraceContext>>,
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, DefaultOnRequest, Completion>
{
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan { context })
        .on_response(Completion)
}

/// Makes the request span (see the module documentation).
#[derive(Clone)]
pub(crate) struct RequestSpan {
    context: Option<Arc<dyn TraceContext>>,
}

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        // `Router::layer` runs this after routing, so the template is known.
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let span = tracing::info_span!(
            "request",
            http.request.method = %request.method(),
            http.route = route,
            url.path = request.uri().path(),
            request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
            // Recorded when a `TraceContext` is plugged in: the trace id by it, the exported
            // span's name and kind below.
            trace_id = Empty,
            otel.name = Empty,
            otel.kind = Empty,
            // Recorded by `Completion`.
            http.response.status_code = Empty,
            otel.status_code = Empty,
        );
        // A span no subscriber records (the log filter above `info`, no trace export) has no
        // context to adopt: skip the header parsing.
        if let Some(context) = self.context.as_ref().filter(|_| !span.is_disabled()) {
            // HTTP conventions' name and kind, recorded before `extract` starts the exported
            // span (they cannot change after).
            let method = request.method();
            span.record("otel.kind", "server");
            match route {
                Some(route) => span.record("otel.name", format_args!("{method} {route}")),
                None => span.record("otel.name", method.as_str()),
            };
            context.extract(request.headers(), &span);
        }
        span
    }
}

/// Writes the completion line and records the status on the span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Completion;

impl<B> OnResponse<B> for Completion {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        // Signed: OpenTelemetry's integer attributes are i64 (an unsigned one would be text).
        let status = i64::from(response.status().as_u16());
        span.record("http.response.status_code", status);
        if response.status().is_server_error() {
            span.record("otel.status_code", "error");
        }
        tracing::info!(
            target: ACCESS_TARGET,
            status,
            // Whole microseconds: no float noise in the log line.
            latency_ms = latency.as_micros() as f64 / 1000.0,
            "request completed"
        );
    }
}

/// Writes the request span's trace context into `response` (run inside the span).
pub(crate) fn inject(context: &dyn TraceContext, mut response: AxumResponse) -> AxumResponse {
    context.inject(&Span::current(), response.headers_mut());
    response
}
