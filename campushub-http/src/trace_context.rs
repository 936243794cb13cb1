//! [`TraceContext`]: the seam through which a tracing backend (OpenTelemetry in
//! `campushub::server`) joins the request span to the caller's trace and tells the caller the
//! span's context. A leaf module, so that this crate needs no tracing backend of its own.

use axum::http::HeaderMap;
use tracing::Span;

/// Carries a distributed trace across the HTTP boundary, for example W3C `traceparent`.
///
/// The request span ([`crate::middleware`]) declares empty fields that an implementation may
/// record: `trace_id` (written on every log line of the request) and `otel.name`.
pub trait TraceContext: Send + Sync + 'static {
    /// Called once per request, right after the request span is created and before it is
    /// entered: adopts the caller's context from `headers` as the span's parent and records
    /// the span's trace id.
    fn extract(&self, headers: &HeaderMap, span: &Span);

    /// Called with every response, inside the request span: writes the span's context into
    /// the response `headers`, so that a caller can find this request's trace.
    fn inject(&self, span: &Span, headers: &mut HeaderMap);

    /// Whether [`TraceContext::inject`] can write anything (false when no trace is recorded):
    /// when it cannot, the per-response step is not installed at all.
    fn injects(&self) -> bool {
        true
    }
}
