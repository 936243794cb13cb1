//! Statements per request: every request runs inside a `StatementCounter` scope and its count
//! is added to its route template's totals, exported on `/metrics` as
//! `campushub_route_statements_total{route}` and `campushub_route_requests_total{route}` (their
//! ratio is the statements per request; the difference across one request is its count).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use campushub::http::{MetricKind, MetricsSource, Sample};
use campushub::sqlx::StatementCounter;

/// Per route template: (statements, requests).
#[derive(Default)]
pub struct RouteStatements {
    routes: Mutex<BTreeMap<String, (u64, u64)>>,
}

impl RouteStatements {
    /// Wraps every route of `router` (so the route template is known) in a counting scope.
    pub fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(
            Arc::clone(self),
            count,
        ))
    }

    fn record(&self, route: &str, statements: u64) {
        if let Ok(mut routes) = self.routes.lock() {
            let totals = routes.entry(route.to_owned()).or_default();
            totals.0 += statements;
            totals.1 += 1;
        }
    }
}

async fn count(
    State(totals): State<Arc<RouteStatements>>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let (response, counts) = StatementCounter::scope(next.run(request)).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let route = route
        .strip_suffix('/')
        .filter(|r| !r.is_empty())
        .unwrap_or(route);
    totals.record(route, counts.total());
    response
}

impl MetricsSource for RouteStatements {
    fn samples(&self) -> Vec<Sample> {
        let routes = match self.routes.lock() {
            Ok(routes) => routes.clone(),
            Err(_) => return Vec::new(),
        };
        let mut samples = Vec::with_capacity(routes.len() * 2);
        type Pick = fn(&(u64, u64)) -> u64;
        let families: [(&str, &str, Pick); 2] = [
            (
                "campushub_route_statements_total",
                "Database statements sent while serving the route's requests.",
                |t| t.0,
            ),
            (
                "campushub_route_requests_total",
                "Requests of the route whose statements were counted.",
                |t| t.1,
            ),
        ];
        for (name, help, pick) in families {
            samples.extend(routes.iter().map(|(route, totals)| Sample {
                name: name.to_owned(),
                help: help.to_owned(),
                kind: MetricKind::Counter,
                labels: vec![("route".to_owned(), route.clone())],
                value: pick(totals) as f64,
            }));
        }
        samples
    }
}
