//! Statements per request, read over HTTP from `/metrics`: a retrieve costs 1 statement (0
//! when cached), a list page 2 (the page and its departments; 0 when cached), whatever the
//! page size. The instances use the primary alone, so that no replica position check is
//! counted.

use crate::support::metrics::sample;
use crate::support::records::{department, id, student};
use crate::support::{Http, Instance, Services, TestDb};

/// The statements `path` cost, from the difference of its route's counters around it.
async fn statements(http: &Http, path: &str, route: &str) -> f64 {
    let labels = format!("route=\"{route}\"");
    let read = |text: &str| {
        (
            sample(text, "campushub_route_statements_total", &labels),
            sample(text, "campushub_route_requests_total", &labels),
        )
    };
    let before = read(&http.get("/metrics").await.text());
    let reply = http.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    let after = read(&http.get("/metrics").await.text());
    assert_eq!(after.1 - before.1, 1.0, "one request of {route} counted");
    after.0 - before.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieve_costs_one_statement_and_a_list_page_two() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let primary_only = |cache: &str| {
        vec![
            ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
            ("CAMPUSHUB_CACHE", cache.to_owned()),
            ("CAMPUSHUB_WARM_INTERVAL", "off".to_owned()),
        ]
    };
    let uncached = Instance::start(&primary_only("off")).await;
    let cached = Instance::start(&primary_only("on")).await;

    let cse = department(&uncached.http, "CSE").await;
    for n in 0..12 {
        student(&uncached.http, &cse, &format!("STMT-{n:03}")).await;
    }
    let one = student(&cached.http, &cse, "STMT-100").await.json();
    // The relays deliver these writes from the outbox within a poll or two; a delivery to the
    // cached instance after its first list page would empty its cache and count a miss here.
    db.outbox_delivered().await;
    let path = format!("/api/v1/students/{}", id(&one));
    let retrieve = "/api/v1/students/{id}";
    let list = "/api/v1/students";

    for http in [&uncached.http, &cached.http] {
        assert_eq!(statements(http, &path, retrieve).await, 1.0, "retrieve");
    }
    assert_eq!(
        statements(&uncached.http, &path, retrieve).await,
        1.0,
        "uncached retrieve"
    );
    assert_eq!(
        statements(&cached.http, &path, retrieve).await,
        0.0,
        "cached retrieve"
    );

    for size in [10, 200] {
        let page = format!("/api/v1/students?page_size={size}");
        assert_eq!(
            statements(&uncached.http, &page, list).await,
            2.0,
            "list of {size}"
        );
        assert_eq!(
            statements(&uncached.http, &page, list).await,
            2.0,
            "list of {size} again"
        );
        assert_eq!(
            statements(&cached.http, &page, list).await,
            2.0,
            "first cached list"
        );
        assert_eq!(
            statements(&cached.http, &page, list).await,
            0.0,
            "cached list"
        );
    }

    drop((uncached, cached));
    db.drop_database().await;
}
