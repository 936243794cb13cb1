//! [`MetricsLayer`]: times every request and counts it under its route template and status.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tower::{Layer, Service};

use super::registry::HttpMetrics;
use super::route::{route_label, RouteMetrics, UNMATCHED};

/// Records request metrics into an [`HttpMetrics`]. Apply it with `Router::layer` so that the
/// route template ([`MatchedPath`]) is known.
#[derive(Clone)]
pub struct MetricsLayer {
    metrics: Arc<HttpMetrics>,
    known: Arc<HashMap<String, Arc<RouteMetrics>>>,
}

impl MetricsLayer {
    /// Records into `metrics`, with the atomics of `templates` registered up front.
    pub fn new<'a>(
        metrics: Arc<HttpMetrics>,
        templates: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let known = Arc::new(metrics.snapshot(templates.into_iter().chain([UNMATCHED])));
        MetricsLayer { metrics, known }
    }

    fn route(&self, template: Option<&str>) -> Arc<RouteMetrics> {
        let label = route_label(template);
        match self.known.get(label) {
            Some(found) => Arc::clone(found),
            None => self.metrics.route(label),
        }
    }
}

impl std::fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("known_routes", &self.known.len())
            .finish()
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`MetricsLayer`] makes.
#[derive(Clone, Debug)]
pub struct MetricsService<S> {
    inner: S,
    layer: MetricsLayer,
}

impl<S, B, R> Service<Request<B>> for MetricsService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let route = self.layer.route(
            request
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str),
        );
        MetricsFuture {
            inner: self.inner.call(request),
            route,
            started,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`MetricsService`]: the inner future, recorded when it completes
    /// with a response. Not boxed: boxing moved the whole inner future (every layer below it)
    /// into a new allocation on every request.
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        route: Arc<RouteMetrics>,
        started: Instant,
    }
}

impl<F, R, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        this.route
            .record(response.status().as_u16(), this.started.elapsed());
        Poll::Ready(Ok(response))
    }
}
