//! Aggregates on a separate analytics database with Redis in front: after a write, `/stats`
//! (whose cache miss carries the kind's last write token) and the analytics reports (asked
//! with the write's token) run on the analytics pool once it has replayed the write, as the
//! pools' counters in `/metrics` show.

use campushub_testkit::exposition::{parse, Scrape};

use crate::support::instance::{namespace, replicated};
use crate::support::records::{department, student};
use crate::support::{Http, Instance, Services, TestDb};

async fn scrape(http: &Http) -> Scrape {
    let text = http.get("/metrics").await.text();
    parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Reads each pool served between two scrapes.
fn reads(before: &Scrape, after: &Scrape, pool: &str) -> f64 {
    let labels = [("pool", pool)];
    after.sum("campushub_db_reads_total", &labels) - before.sum("campushub_db_reads_total", &labels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_after_a_write_run_on_the_analytics_database() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    // The analytics database is a second URL to the streaming replica: a standby of the
    // primary, so its positions compare with tokens.
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_ANALYTICS_URL", db.replica.clone()));
    vars.push(("CAMPUSHUB_WARM_INTERVAL", "off".to_owned()));
    let server = Instance::start(&vars).await;
    let http = &server.http;

    let cse = department(http, "ANL").await;
    let created = student(http, &cse, "ANL001").await;
    assert_eq!(created.status, 201, "{}", created.text());
    let token = created
        .header("consistency-token")
        .expect("a consistency token");
    db.wait_for_replay(&token).await;
    // The relay's delivery and the counts' fold write after the student does, and the cache's
    // record of the students' last write may carry their position: the aggregates below are
    // only sure to run on the standby once it has replayed those too.
    db.settle().await;

    let before = scrape(http).await;
    // No token from the client: with Redis the cache miss carries the students' last write.
    let stats = http.get("/api/v1/students/stats").await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    assert_eq!(stats.json()["total"], 1, "the new student is counted");
    let mine = [("consistency-token", token.as_str())];
    let summary = http.get_with("/api/v1/analytics/summary", &mine).await;
    assert_eq!(summary.status, 200, "{}", summary.text());
    assert_eq!(summary.json()["students_total"], 1);
    let per_department = http.get_with("/api/v1/analytics/departments", &mine).await;
    assert_eq!(per_department.status, 200, "{}", per_department.text());
    let after = scrape(http).await;

    assert_eq!(
        reads(&before, &after, "analytics"),
        3.0,
        "the three aggregates ran on the analytics pool"
    );
    for pool in ["primary", "replica-0"] {
        assert_eq!(reads(&before, &after, pool), 0.0, "none on {pool}");
    }
    assert!(
        after.has("campushub_replica_lag_seconds", &[("pool", "analytics")]),
        "the analytics standby's lag is measured"
    );
    drop(server);
    db.drop_database().await;
}
