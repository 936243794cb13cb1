//! Two instances sharing Postgres and Redis (one server, or the Redis Cluster): a write
//! through one is read fresh through the other once the invalidation has propagated, for
//! records and list pages.

use std::time::Duration;

use serde_json::json;

use crate::support::db::TestDb;
use crate::support::instance::{pair, pair_on_cluster};
use crate::support::metrics::sample;
use crate::support::process::ProcessInstance;
use crate::support::records::{department, id, student};
use crate::support::wait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_is_read_fresh_through_the_other() {
    let (db, a, b) = pair().await;
    read_fresh_through_the_other(db, a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_cluster_a_write_through_one_instance_is_read_fresh_through_the_other() {
    let (db, a, b) = pair_on_cluster().await;
    read_fresh_through_the_other(db, a, b).await;
}

async fn read_fresh_through_the_other(db: TestDb, a: ProcessInstance, b: ProcessInstance) {
    let cse = department(&a.http, "CSE").await;
    let created = student(&a.http, &cse, "PROP-001").await;
    let token = created
        .header("consistency-token")
        .expect("a consistency token");
    let path = format!("/api/v1/students/{}", id(&created.json()));
    let list = "/api/v1/students?roll_number=PROP-001";

    // B reads (and caches) the record and a list page holding it.
    let first = b
        .http
        .get_with(&path, &[("consistency-token", &token)])
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["first_name"], "Ada");
    let page = b
        .http
        .get_with(list, &[("consistency-token", &token)])
        .await;
    assert_eq!(page.json()["results"][0]["first_name"], "Ada");
    assert_eq!(b.http.get(&path).await.json()["first_name"], "Ada");

    let etag = first.header("etag").expect("an ETag");
    let patched = a
        .http
        .patch(
            &path,
            &[("if-match", &etag)],
            json!({"first_name": "Augusta"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());

    // B serves the new value, without any token, once the invalidation has arrived.
    let limit = Duration::from_secs(10);
    wait::until("B serves the updated record", limit, || async {
        let seen = b.http.get(&path).await.json();
        match seen["first_name"].as_str() {
            Some("Augusta") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    wait::until("B serves the updated list page", limit, || async {
        let seen = b.http.get(list).await.json();
        match seen["results"][0]["first_name"].as_str() {
            Some("Augusta") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let version = b.http.get(&path).await.json()["version"].clone();
    assert_eq!(version, 2);

    // It arrived through the invalidation channel.
    let metrics = b.http.get("/metrics").await.text();
    let received = sample(
        &metrics,
        "campushub_cache_invalidations_total",
        "direction=\"received\"",
    );
    assert!(received >= 1.0, "B received no invalidation:\n{metrics}");

    drop((a, b));
    db.drop_database().await;
}
