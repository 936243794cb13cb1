//! Operations endpoints of a replicated, Redis-backed instance: readiness names every
//! component, `/metrics` carries pools, replica lag, cache tiers and statements per route,
//! warming runs at start, and a stop is graceful.

use std::time::Duration;

use crate::support::instance::{namespace, replicated};
use crate::support::metrics::sample;
use crate::support::records::department;
use crate::support::{wait, Instance, Services, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_metrics_warming_and_graceful_stop() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let server = Instance::start(&replicated(&services, &db, &namespace())).await;
    let http = &server.http;

    let anonymous = http.anonymous().get("/readyz").await;
    assert_eq!(anonymous.status, 200, "{}", anonymous.text());
    assert_eq!(anonymous.text(), r#"{"status":"ready"}"#, "no topology");
    let ready = http.get("/readyz").await;
    let components = &ready.json()["components"];
    assert_eq!(components["primary"]["ok"], true, "{components}");
    assert!(
        components["replica-0"]["lag_seconds"].is_number(),
        "{components}"
    );
    assert_eq!(components["redis"]["ok"], true, "{components}");

    assert_eq!(http.anonymous().get("/metrics").await.status, 401);
    department(http, "OPS").await;
    let metrics = wait::until("the warmer has run", Duration::from_secs(10), || async {
        let text = http.get("/metrics").await.text();
        if sample(&text, "campushub_cache_warm_runs_total", "") >= 1.0 {
            Ok(text)
        } else {
            Err("no warming run yet".to_owned())
        }
    })
    .await;
    assert!(
        sample(
            &metrics,
            "campushub_db_statements_total",
            "pool=\"primary\""
        ) >= 1.0
    );
    assert!(
        metrics.contains("campushub_replica_lag_seconds{pool=\"replica-0\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("campushub_cache_hits_total{tier=\"l2\"}"),
        "{metrics}"
    );
    assert!(
        sample(
            &metrics,
            "campushub_route_requests_total",
            "route=\"/api/v1/departments\""
        ) >= 1.0,
        "{metrics}"
    );
    assert!(metrics.contains("http_requests_total"), "{metrics}");

    let base = server.base.clone();
    assert_eq!(server.stop().await, Ok(()));
    let after = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await;
    assert!(after.is_err(), "the listener is closed after the stop");
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_public() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let server = Instance::start(&[
        ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
        ("CAMPUSHUB_METRICS_PUBLIC", "true".to_owned()),
        ("CAMPUSHUB_CACHE", "off".to_owned()),
    ])
    .await;
    let reply = server.http.anonymous().get("/metrics").await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .text()
        .contains("campushub_db_pool_healthy{pool=\"primary\"} 1"));
    assert_eq!(
        server.http.anonymous().get("/api/v1/students").await.status,
        401
    );
    drop(server);
    db.drop_database().await;
}
