//! Statements per request: every request runs inside a `StatementCounter` scope and its count
//! is added to its route template's totals, exported on `/metrics` as
//! `campushub_route_statements_total{route}` and `campushub_route_requests_total{route}` (their
//! ratio is the statements per request; the difference across one request is its count).
//!
//! The router's templates are registered up front, each with its own atomics, in a map that
//! never changes: a request looks its route up and adds with two relaxed atomic adds, with no
//! allocation and no lock. Only a template outside that set (not expected: unmatched requests
//! have their own entry) goes through a mutex-guarded map.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

use super::metrics::sample;
use crate::http::metrics::route_label;
use crate::http::{MetricType, MetricsSource, Sample};
use crate::sqlx::StatementCounter;

/// One route template's counters.
#[derive(Default)]
struct Totals {
    statements: AtomicU64,
    requests: AtomicU64,
}

/// Per route template: statements and requests.
pub(super) struct RouteStatements {
    known: HashMap<String, Arc<Totals>>,
    others: Mutex<BTreeMap<String, Arc<Totals>>>,
}

impl RouteStatements {
    /// Counters for `templates` (the route labels of `HttpMetrics::templates`, `unmatched`
    /// included), registered now.
    pub(super) fn new(templates: impl IntoIterator<Item = String>) -> Self {
        let known = templates.into_iter().map(|t| (t, Arc::default())).collect();
        RouteStatements {
            known,
            others: Mutex::default(),
        }
    }

    /// Wraps every route of `router` (so the route template is known) in a counting scope.
    pub(super) fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(
            Arc::clone(self),
            count,
        ))
    }

    fn record(&self, route: &str, statements: u64) {
        let add = |totals: &Totals| {
            totals.statements.fetch_add(statements, Ordering::Relaxed);
            totals.requests.fetch_add(1, Ordering::Relaxed);
        };
        if let Some(totals) = self.known.get(route) {
            add(totals);
        } else if let Ok(mut others) = self.others.lock() {
            add(others.entry(route.to_owned()).or_default());
        }
    }

    /// Every route with at least one counted request, sorted: (route, statements, requests).
    fn totals(&self) -> Vec<(String, u64, u64)> {
        let mut all: BTreeMap<&str, &Totals> =
            self.known.iter().map(|(k, v)| (k.as_str(), &**v)).collect();
        let others = self.others.lock().map(|o| o.clone()).unwrap_or_default();
        all.extend(others.iter().map(|(k, v)| (k.as_str(), &**v)));
        all.into_iter()
            .map(|(route, t)| {
                let requests = t.requests.load(Ordering::Relaxed);
                let statements = t.statements.load(Ordering::Relaxed);
                (route.to_owned(), statements, requests)
            })
            .filter(|(_, _, requests)| *requests > 0)
            .collect()
    }
}

async fn count(
    State(totals): State<Arc<RouteStatements>>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let (response, counts) = StatementCounter::scope(next.run(request)).await;
    let label = route_label(route.as_ref().map(MatchedPath::as_str));
    totals.record(label, counts.total());
    response
}

impl MetricsSource for RouteStatements {
    fn samples(&self) -> Vec<Sample> {
        let routes = self.totals();
        let mut samples = Vec::with_capacity(routes.len() * 2);
        type Pick = fn(&(String, u64, u64)) -> u64;
        let families: [(&str, &str, Pick); 2] = [
            (
                "campushub_route_statements_total",
                "Database statements sent while serving the route's requests.",
                |t| t.1,
            ),
            (
                "campushub_route_requests_total",
                "Requests of the route whose statements were counted.",
                |t| t.2,
            ),
        ];
        for (name, help, pick) in families {
            samples.extend(routes.iter().map(|totals| {
                let labels = [("route", totals.0.as_str())];
                sample(
                    name,
                    help,
                    MetricType::Counter,
                    &labels,
                    pick(totals) as f64,
                )
            }));
        }
        samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_known_and_other_routes_and_reports_only_used_ones() {
        let routes = RouteStatements::new(["/a".to_owned(), "/b".to_owned()]);
        routes.record("/a", 2);
        routes.record("/a", 1);
        routes.record("/b", 0);
        routes.record("/elsewhere", 4);
        assert_eq!(
            routes.totals(),
            vec![
                ("/a".to_owned(), 3, 2),
                ("/b".to_owned(), 0, 1),
                ("/elsewhere".to_owned(), 4, 1),
            ]
        );
    }
}
