//! The registry: per-route, per-status counters and histograms, and the text rendering.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::source::MetricsSource;

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Statuses with their own series; any other status is counted as `other`.
const STATUSES: [u16; 17] = [
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 412, 413, 415, 500, 503, 0,
];

/// Requests and latencies of one route template.
#[derive(Default)]
pub(crate) struct RouteMetrics {
    by_status: [StatusMetrics; STATUSES.len()],
}

#[derive(Default)]
struct StatusMetrics {
    count: AtomicU64,
    micros: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
}

impl RouteMetrics {
    /// Records one request answered with `status` after `elapsed`.
    pub(crate) fn record(&self, status: u16, elapsed: Duration) {
        let slot = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        let metrics = &self.by_status[slot];
        metrics.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        metrics.micros.fetch_add(micros, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|le| seconds <= *le) {
            metrics.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The metrics registry of one router. Cheap to share (`Arc`).
#[derive(Default)]
pub struct HttpMetrics {
    routes: RwLock<BTreeMap<String, Arc<RouteMetrics>>>,
    sources: RwLock<Vec<Arc<dyn MetricsSource>>>,
}

impl HttpMetrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source whose samples are appended to [`HttpMetrics::render`].
    pub fn add_source(&self, source: Arc<dyn MetricsSource>) {
        if let Ok(mut sources) = self.sources.write() {
            sources.push(source);
        }
    }

    /// The metrics of `template` (trailing slash ignored), registering it if needed.
    pub(crate) fn route(&self, template: &str) -> Arc<RouteMetrics> {
        let template = normalize(template);
        if let Some(found) = self
            .routes
            .read()
            .ok()
            .and_then(|routes| routes.get(template).cloned())
        {
            return found;
        }
        match self.routes.write() {
            Ok(mut routes) => Arc::clone(routes.entry(template.to_owned()).or_default()),
            Err(_) => Arc::default(),
        }
    }

    /// The route templates registered so far, sorted: after [`crate::router`], every route of
    /// the router and `unmatched`. Other per-route counters can pre-register these to keep
    /// their hot path lock-free.
    pub fn templates(&self) -> Vec<String> {
        self.routes
            .read()
            .map(|routes| routes.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// An immutable lookup table for `templates`, for the lock-free hot path.
    pub(crate) fn snapshot<'a>(
        &self,
        templates: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, Arc<RouteMetrics>> {
        templates
            .into_iter()
            .map(|t| (normalize(t).to_owned(), self.route(t)))
            .collect()
    }

    /// Everything, in the Prometheus text exposition format (0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str(
            "# HELP http_requests_total Requests answered, by route template and status.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        let routes: Vec<(String, Arc<RouteMetrics>)> = self
            .routes
            .read()
            .map(|routes| {
                routes
                    .iter()
                    .map(|(k, v)| (k.clone(), Arc::clone(v)))
                    .collect()
            })
            .unwrap_or_default();
        for (route, metrics) in &routes {
            for (status, m) in series(metrics) {
                let count = m.count.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        out.push_str(
            "# HELP http_request_duration_seconds Time to answer, by route template and status.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (route, metrics) in &routes {
            for (status, m) in series(metrics) {
                let labels = format!("route=\"{route}\",status=\"{status}\"");
                let mut cumulative = 0;
                for (le, bucket) in LATENCY_BUCKETS.iter().zip(m.buckets.iter()) {
                    cumulative += bucket.load(Ordering::Relaxed);
                    let _ = writeln!(
                        out,
                        "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                    );
                }
                let count = m.count.load(Ordering::Relaxed);
                let sum = m.micros.load(Ordering::Relaxed) as f64 / 1e6;
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {sum}");
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_count{{{labels}}} {count}"
                );
            }
        }
        let sources: Vec<Arc<dyn MetricsSource>> =
            self.sources.read().map(|s| s.clone()).unwrap_or_default();
        for source in sources {
            source.render(&mut out);
        }
        out
    }
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics").finish_non_exhaustive()
    }
}

/// The label a request's route is counted under: its matched template without a trailing slash
/// (`/api/v1/students/` counts as `/api/v1/students`), or `unmatched` when no route matched.
/// Per-route counters of an application's own use the same labels.
pub fn route_label(template: Option<&str>) -> &str {
    template.map_or(UNMATCHED, normalize)
}

/// The label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// `template` without a trailing slash.
fn normalize(template: &str) -> &str {
    match template.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => template,
    }
}

/// The statuses of `metrics` that saw requests, with their labels.
fn series(metrics: &RouteMetrics) -> Vec<(String, &StatusMetrics)> {
    STATUSES
        .iter()
        .zip(metrics.by_status.iter())
        .filter(|(_, m)| m.count.load(Ordering::Relaxed) > 0)
        .map(|(status, m)| (status_label(*status), m))
        .collect()
}

fn status_label(status: u16) -> String {
    if status == 0 {
        "other".to_owned()
    } else {
        status.to_string()
    }
}
