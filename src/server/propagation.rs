//! W3C trace context through the request span: a caller's `traceparent` becomes the parent
//! of the request span, and the response carries the request span's own `traceparent`.

use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::http::TraceContext;

/// The W3C header of vendor-specific trace data.
const TRACESTATE: &str = "tracestate";

/// `traceparent`/`tracestate` propagation, with or without an exporter.
///
/// With traces on, the request span joins the caller's trace (or starts one) and its trace id
/// is recorded as `trace_id`. With traces off, no span context exists, but a caller's trace id
/// is still recorded, so that log lines join the caller's trace at the price of one header
/// parse.
#[derive(Debug)]
pub(super) struct W3cTraceContext {
    propagator: TraceContextPropagator,
    /// Whether spans are exported, so that a response's `traceparent` names a recorded span.
    exported: bool,
}

impl W3cTraceContext {
    /// The propagator; responses carry `traceparent` only when spans are `exported`.
    pub(super) fn new(exported: bool) -> Self {
        W3cTraceContext {
            propagator: TraceContextPropagator::default(),
            exported,
        }
    }
}

impl TraceContext for W3cTraceContext {
    fn extract(&self, headers: &HeaderMap, span: &Span) {
        let parent = self.propagator.extract(&HeaderExtractor(headers));
        let caller = parent.span().span_context().trace_id();
        let trace_id = match span.set_parent(parent) {
            // Building the span's context now fixes its trace id (the caller's, or a new one).
            Ok(()) => span.context().span().span_context().trace_id(),
            Err(_) => caller,
        };
        if trace_id != opentelemetry::trace::TraceId::INVALID {
            span.record("trace_id", tracing::field::display(trace_id));
        }
    }

    fn injects(&self) -> bool {
        self.exported
    }

    fn inject(&self, span: &Span, headers: &mut HeaderMap) {
        let context = span.context();
        if context.span().span_context().is_valid() {
            self.propagator
                .inject_context(&context, &mut HeaderInjector(headers));
            // The propagator writes `tracestate` even when it is empty.
            if headers
                .get(TRACESTATE)
                .is_some_and(|value| value.is_empty())
            {
                headers.remove(TRACESTATE);
            }
        }
    }
}
