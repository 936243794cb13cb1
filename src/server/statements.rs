//! Statements per request: every request runs inside a `StatementCounter` scope and its count
//! is added to its route template's totals, exported on `/metrics` as
//! `campushub_route_statements_total{route}` and `campushub_route_requests_total{route}` (their
//! ratio is the statements per request; the difference across one request is its count), and
//! each statement's timing goes into `campushub_db_statement_duration_seconds{pool,route}` and
//! `campushub_db_pool_wait_seconds{pool}`.
//!
//! The router's templates are registered up front, each with its own atomics, in a map that
//! never changes: a request looks its route up and adds with two relaxed atomic adds, with no
//! allocation and no lock. Only a template outside that set (not expected: unmatched requests
//! have their own entry) goes through a mutex-guarded map. A request that sent statements
//! also observes prometheus-client histograms (a short mutex each), next to a database round
//! trip; a request answered from the cache sends none and observes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use axum::Router;
use futures::future::BoxFuture;
use tower::{Layer, Service};

use crate::http::metrics::{encode_counters, route_label};
use crate::http::prometheus_client::collector::Collector;
use crate::http::prometheus_client::encoding::DescriptorEncoder;
use crate::http::prometheus_client::metrics::family::Family;
use crate::http::prometheus_client::metrics::histogram::Histogram;
use crate::http::prometheus_client::registry::{Registry, Unit};
use crate::sqlx::{StatementCounter, StatementTiming};

/// Upper bounds of the statement duration buckets, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Upper bounds of the pool wait buckets, in seconds: a free connection is microseconds away,
/// an exhausted pool up to its acquire timeout.
const WAIT_BUCKETS: [f64; 14] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1.0, 5.0,
    30.0,
];

/// `pool` and `route`.
type PoolRoute = [(&'static str, Arc<str>); 2];
/// `pool`.
type Pool = [(&'static str, Arc<str>); 1];

/// One route template's counters.
#[derive(Debug)]
struct Totals {
    /// The route label, shared by its statement histograms' label sets.
    route: Arc<str>,
    statements: AtomicU64,
    requests: AtomicU64,
}

impl Totals {
    fn new(route: &str) -> Arc<Totals> {
        Arc::new(Totals {
            route: route.into(),
            statements: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }
}

/// Per route template: statements and requests; statement durations and pool waits.
#[derive(Debug)]
pub(super) struct RouteStatements {
    known: HashMap<String, Arc<Totals>>,
    others: Mutex<BTreeMap<String, Arc<Totals>>>,
    durations: Family<PoolRoute, Histogram>,
    waits: Family<Pool, Histogram>,
}

impl RouteStatements {
    /// Counters for `templates` (the route labels of `HttpMetrics::templates`, `unmatched`
    /// included), registered now.
    pub(super) fn new(templates: impl IntoIterator<Item = String>) -> Self {
        let known = templates
            .into_iter()
            .map(|t| {
                let totals = Totals::new(&t);
                (t, totals)
            })
            .collect();
        RouteStatements {
            known,
            others: Mutex::default(),
            durations: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
            waits: Family::new_with_constructor(|| Histogram::new(WAIT_BUCKETS)),
        }
    }

    /// Registers the histograms, and the counters as a collector, in `registry`.
    pub(super) fn register(self: &Arc<Self>, registry: &mut Registry) {
        registry.register_with_unit(
            "campushub_db_statement_duration",
            "Time of one statement, connection wait included, by pool and route template",
            Unit::Seconds,
            self.durations.clone(),
        );
        registry.register_with_unit(
            "campushub_db_pool_wait",
            "Time a statement waited for a connection, by pool",
            Unit::Seconds,
            self.waits.clone(),
        );
        registry.register_collector(Box::new(Arc::clone(self)));
    }

    /// Wraps every route of `router` (so the route template is known) in a counting scope.
    pub(super) fn layer(self: &Arc<Self>, router: Router) -> Router {
        router.layer(CountLayer(Arc::clone(self)))
    }

    /// Counts one request of `route` that sent `statements`, and observes their `timings`.
    fn record(&self, route: &str, statements: u64, timings: &[StatementTiming]) {
        let other;
        let totals = match self.known.get(route) {
            Some(totals) => totals,
            None => {
                other = self.other(route);
                &other
            }
        };
        totals.statements.fetch_add(statements, Ordering::Relaxed);
        totals.requests.fetch_add(1, Ordering::Relaxed);
        for timing in timings {
            let pool = ("pool", Arc::clone(&timing.pool));
            let route = ("route", Arc::clone(&totals.route));
            self.durations
                .get_or_create(&[pool.clone(), route])
                .observe(timing.elapsed.as_secs_f64());
            self.waits
                .get_or_create(&[pool])
                .observe(timing.wait.as_secs_f64());
        }
    }

    /// The counters of a route outside the registered templates.
    fn other(&self, route: &str) -> Arc<Totals> {
        match self.others.lock() {
            Ok(mut others) => Arc::clone(
                others
                    .entry(route.to_owned())
                    .or_insert_with(|| Totals::new(route)),
            ),
            // Poisoned: count into a throwaway rather than fail the request.
            Err(_) => Totals::new(route),
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

/// Runs each request in a [`StatementCounter`] scope and records its count under its route.
/// A plain tower layer rather than `middleware::from_fn`, which clones and boxes the inner
/// service for every request on top of the boxed future.
#[derive(Clone)]
struct CountLayer(Arc<RouteStatements>);

impl<S> Layer<S> for CountLayer {
    type Service = Count<S>;

    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            totals: Arc::clone(&self.0),
        }
    }
}

/// [`CountLayer`]'s service.
#[derive(Clone)]
struct Count<S> {
    inner: S,
    totals: Arc<RouteStatements>,
}

impl<S> Service<Request> for Count<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let response = self.inner.call(request);
        let totals = Arc::clone(&self.totals);
        Box::pin(async move {
            let (response, counts) = StatementCounter::scope(response).await;
            let label = route_label(route.as_ref().map(MatchedPath::as_str));
            totals.record(label, counts.total(), &counts.timings);
            response
        })
    }
}

impl Collector for RouteStatements {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let routes = self.totals();
        let by_route = |route: &str| [("route", route.to_owned())];
        encode_counters(
            &mut encoder,
            "campushub_route_statements",
            "Database statements sent while serving the route's requests.",
            routes
                .iter()
                .map(|(route, statements, _)| (by_route(route), *statements)),
        )?;
        encode_counters(
            &mut encoder,
            "campushub_route_requests",
            "Requests of the route whose statements were counted.",
            routes
                .iter()
                .map(|(route, _, requests)| (by_route(route), *requests)),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use campushub_testkit::exposition::parse;

    use super::*;
    use crate::http::prometheus_client::encoding::text;

    #[test]
    fn counts_known_and_other_routes_and_reports_only_used_ones() {
        let routes = RouteStatements::new(["/a".to_owned(), "/b".to_owned()]);
        routes.record("/a", 2, &[]);
        routes.record("/a", 1, &[]);
        routes.record("/b", 0, &[]);
        routes.record("/elsewhere", 4, &[]);
        assert_eq!(
            routes.totals(),
            vec![
                ("/a".to_owned(), 3, 2),
                ("/b".to_owned(), 0, 1),
                ("/elsewhere".to_owned(), 4, 1),
            ]
        );
    }

    #[test]
    fn each_timing_is_observed_under_its_pool_and_the_route() {
        let routes = Arc::new(RouteStatements::new(["/a".to_owned()]));
        let mut registry = Registry::default();
        routes.register(&mut registry);
        let timing = |pool: &str, millis| StatementTiming {
            pool: pool.into(),
            wait: Duration::from_micros(30),
            elapsed: Duration::from_millis(millis),
        };
        routes.record("/a", 2, &[timing("primary", 2), timing("replica-0", 700)]);
        routes.record("/elsewhere", 1, &[timing("primary", 1)]);
        let mut out = String::new();
        text::encode(&mut out, &registry).expect("encodes");
        let metrics = parse(&out).expect("parses");
        let durations = |pool, route| {
            metrics.sum(
                "campushub_db_statement_duration_seconds_count",
                &[("pool", pool), ("route", route)],
            )
        };
        assert_eq!(durations("primary", "/a"), 1.0);
        assert_eq!(durations("replica-0", "/a"), 1.0);
        assert_eq!(durations("primary", "/elsewhere"), 1.0);
        let slow = [("pool", "replica-0"), ("route", "/a"), ("le", "0.5")];
        assert_eq!(
            metrics.sum("campushub_db_statement_duration_seconds_bucket", &slow),
            0.0,
            "700 ms is above the 0.5 s bucket"
        );
        let waits = metrics.sum(
            "campushub_db_pool_wait_seconds_count",
            &[("pool", "primary")],
        );
        assert_eq!(waits, 2.0);
        assert_eq!(
            metrics.sum("campushub_route_statements_total", &[("route", "/a")]),
            2.0
        );
    }
}
