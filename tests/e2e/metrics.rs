//! `/metrics` series moving with the requests that cause them: on SQLite in memory with L1
//! only (no service needed), statements, pools and the L1 tier; on Postgres with a replica
//! and Redis, the pools by name and the L2 tier. Every scrape must parse.

use campushub_testkit::exposition::{parse, Scrape};

use crate::support::instance::{namespace, replicated};
use crate::support::records::{department, id, student};
use crate::support::{Http, Instance, Services, TestDb};

const RETRIEVE: &str = "/api/v1/students/{id}";

/// `/metrics` in OpenMetrics, as Prometheus asks for it (the other tests read the 0.0.4 text).
async fn scrape(http: &Http) -> Scrape {
    let accept = [("accept", "application/openmetrics-text;version=1.0.0")];
    let text = http.get_with("/metrics", &accept).await.text();
    parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Statements timed on SQLite for `route`, and their pool waits.
fn timed(metrics: &Scrape, route: &str) -> (f64, f64) {
    let pool = ("pool", "sqlite");
    (
        metrics.sum(
            "campushub_db_statement_duration_seconds_count",
            &[pool, ("route", route)],
        ),
        metrics.sum("campushub_db_pool_wait_seconds_count", &[pool]),
    )
}

fn l1_gets(metrics: &Scrape) -> f64 {
    metrics.sum(
        "campushub_cache_operation_duration_seconds_count",
        &[("tier", "l1"), ("op", "get")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_pool_and_cache_tier_series_follow_the_requests() {
    let server = Instance::start(&[
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_CACHE", "on".to_owned()),
        ("CAMPUSHUB_WARM_INTERVAL", "off".to_owned()),
    ])
    .await;
    let http = &server.http;
    let cse = department(http, "MET").await;
    let created = student(http, &cse, "MET-001").await.json();
    let path = format!("/api/v1/students/{}", id(&created));
    let route = [("route", RETRIEVE)];

    // A first retrieve reads the database: each of its statements is timed once.
    let before = scrape(http).await;
    assert_eq!(http.get(&path).await.status, 200);
    let after = scrape(http).await;
    let sent = after.sum("campushub_route_statements_total", &route)
        - before.sum("campushub_route_statements_total", &route);
    assert!(sent >= 1.0, "the first retrieve reads the database");
    let (durations, waits) = timed(&after, RETRIEVE);
    let (durations_before, waits_before) = timed(&before, RETRIEVE);
    assert_eq!(
        durations - durations_before,
        sent,
        "one duration per statement"
    );
    assert_eq!(waits - waits_before, sent, "one pool wait per statement");

    // A second one is answered by L1: no statement, one more L1 lookup timed.
    assert_eq!(http.get(&path).await.status, 200);
    let cached = scrape(http).await;
    assert_eq!(
        timed(&cached, RETRIEVE).0,
        durations,
        "no statement when cached"
    );
    assert!(
        l1_gets(&cached) > l1_gets(&after),
        "the cached read timed L1"
    );

    let l1_sets = [("tier", "l1"), ("op", "set")];
    assert!(cached.sum("campushub_cache_operation_duration_seconds_count", &l1_sets) >= 1.0);
    assert_eq!(
        cached.types["campushub_cache_operation_duration_seconds"],
        "histogram"
    );
    // The outbox relay delivered the two creates (it polls every quarter second).
    crate::support::wait::until(
        "the relay reports its deliveries",
        std::time::Duration::from_secs(10),
        || async {
            let delivered = scrape(http)
                .await
                .sum("campushub_outbox_delivered_total", &[]);
            (delivered >= 2.0)
                .then_some(())
                .ok_or(delivered.to_string())
        },
    )
    .await;
    assert_eq!(
        cached.types["campushub_outbox_oldest_pending_seconds"],
        "gauge"
    );
    let sqlite = [("pool", "sqlite")];
    for gauge in [
        "campushub_db_pool_max_connections",
        "campushub_db_pool_healthy",
    ] {
        assert!(cached.sum(gauge, &sqlite) >= 1.0, "{gauge}");
    }
    for state in ["in_use", "idle"] {
        let labels = [("pool", "sqlite"), ("state", state)];
        assert!(
            cached.has("campushub_db_pool_connections", &labels),
            "{state}"
        );
    }
    assert!(cached.has("campushub_db_slow_statements_total", &sqlite));
    assert!(cached.sum("campushub_db_statements_total", &sqlite) >= sent);
    assert!(cached.has("campushub_cache_hits_total", &[("tier", "l1")]));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_operations_and_postgres_pools_are_labelled() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_WARM_INTERVAL", "off".to_owned()));
    let server = Instance::start(&vars).await;
    let http = &server.http;
    let created = department(http, "MRD").await;
    let path = format!("/api/v1/departments/{}", id(&created));
    let before = scrape(http).await;
    // The create invalidated and filled both tiers; the read is an L1 lookup.
    assert_eq!(http.get(&path).await.status, 200);
    let after = scrape(http).await;

    let op = |metrics: &Scrape, tier, op| {
        metrics.sum(
            "campushub_cache_operation_duration_seconds_count",
            &[("tier", tier), ("op", op)],
        )
    };
    assert!(op(&after, "l2", "set") >= 1.0, "the create filled Redis");
    assert!(
        op(&after, "l2", "invalidate") >= 1.0,
        "the create invalidated in Redis"
    );
    assert!(op(&after, "l1", "get") > op(&before, "l1", "get"));
    for pool in ["primary", "replica-0"] {
        let labels = [("pool", pool)];
        assert!(
            after.has("campushub_db_pool_max_connections", &labels),
            "{pool}"
        );
        assert!(
            after.has("campushub_db_slow_statements_total", &labels),
            "{pool}"
        );
    }
    let created_on_primary = [("pool", "primary"), ("route", "/api/v1/departments")];
    assert!(
        after.sum(
            "campushub_db_statement_duration_seconds_count",
            &created_on_primary
        ) >= 1.0,
        "the create's statements are timed on the primary"
    );
    assert!(after.has("campushub_replica_lag_seconds", &[("pool", "replica-0")]));
    drop(server);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_list_queries_beyond_the_cap_are_evicted_from_redis() {
    const CAP: usize = 3;
    const QUERIES: usize = 12;
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_WARM_INTERVAL", "off".to_owned()));
    vars.push(("CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES", CAP.to_string()));
    let server = Instance::start(&vars).await;
    let http = &server.http;
    let l2_evictions =
        |metrics: &Scrape| metrics.sum("campushub_cache_evictions_total", &[("tier", "l2")]);
    let before = scrape(http).await;
    assert!(before.has("campushub_cache_evictions_total", &[("tier", "l1")]));
    // Each distinct search is a list page of its own (and a count), each filled in Redis.
    for i in 0..QUERIES {
        let path = format!("/api/v1/departments?search=flood{i}");
        assert_eq!(http.get(&path).await.status, 200, "{path}");
    }
    let after = scrape(http).await;
    assert!(
        l2_evictions(&after) - l2_evictions(&before) >= (QUERIES - CAP) as f64,
        "every entry beyond the cap of {CAP} was evicted: {}",
        l2_evictions(&after)
    );
    drop(server);
    db.drop_database().await;
}
