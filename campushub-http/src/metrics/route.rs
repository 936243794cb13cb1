//! One route template's request series: a counter and a latency histogram per status, made in
//! the registry's families on the first request with that status and then reached without a
//! lock (both are atomics: prometheus-client's `Counter` and our [`AtomicHistogram`]).

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::histogram::AtomicHistogram;

/// Statuses with their own series; any other status is counted as `other`.
const STATUSES: [u16; 16] = [
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 412, 413, 415, 500, 503,
];

/// The `status` label of each of [`STATUSES`], then `other`.
const STATUS_LABELS: [&str; STATUSES.len() + 1] = [
    "200", "201", "204", "304", "400", "401", "403", "404", "405", "408", "409", "412", "413",
    "415", "500", "503", "other",
];

/// The labels of `http_requests_total` and `http_request_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    route: String,
    status: &'static str,
}

/// The request families every route's series live in (cheap clones of shared maps).
#[derive(Clone, Debug)]
pub(crate) struct RequestFamilies {
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) durations: Family<RequestLabels, AtomicHistogram>,
}

impl RequestFamilies {
    pub(crate) fn new() -> Self {
        RequestFamilies {
            requests: Family::default(),
            durations: Family::default(),
        }
    }
}

/// Requests and latencies of one route template.
pub(crate) struct RouteMetrics {
    route: String,
    families: RequestFamilies,
    /// Per status slot, the series' handles (the same counter and histogram the families
    /// encode), made on first use so that unused statuses stay out of `/metrics`.
    by_status: [OnceLock<(Counter, AtomicHistogram)>; STATUS_LABELS.len()],
}

impl RouteMetrics {
    pub(crate) fn new(route: &str, families: RequestFamilies) -> Self {
        RouteMetrics {
            route: route.to_owned(),
            families,
            by_status: Default::default(),
        }
    }

    /// Records one request answered with `status` after `elapsed`.
    pub(crate) fn record(&self, status: u16, elapsed: Duration) {
        let slot = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len());
        let (count, latency) = self.by_status[slot].get_or_init(|| {
            let labels = RequestLabels {
                route: self.route.clone(),
                status: STATUS_LABELS[slot],
            };
            (
                self.families.requests.get_or_create_owned(&labels),
                self.families.durations.get_or_create_owned(&labels),
            )
        });
        count.inc();
        latency.observe(elapsed);
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
pub(crate) fn normalize(template: &str) -> &str {
    match template.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => template,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlisted_status_counts_as_other_and_listed_ones_as_themselves() {
        let families = RequestFamilies::new();
        let route = RouteMetrics::new("/a", families.clone());
        route.record(418, Duration::from_millis(2));
        route.record(200, Duration::from_millis(2));
        route.record(200, Duration::from_millis(2));
        let count = |status| {
            families
                .requests
                .get(&RequestLabels {
                    route: "/a".to_owned(),
                    status,
                })
                .map(|c| c.get())
        };
        assert_eq!(count("other"), Some(1));
        assert_eq!(count("200"), Some(2));
        assert_eq!(count("404"), None, "unused statuses have no series");
    }

    #[test]
    fn labels_drop_a_trailing_slash_but_not_the_root() {
        assert_eq!(route_label(Some("/api/v1/students/")), "/api/v1/students");
        assert_eq!(route_label(Some("/")), "/");
        assert_eq!(route_label(None), UNMATCHED);
    }
}
