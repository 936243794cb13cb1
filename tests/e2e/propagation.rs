//! Two instances sharing Postgres and Redis (one server, or the Redis Cluster) behind nginx: a
//! write through one is read fresh through the other once the invalidation has propagated,
//! for records and list pages. nginx takes the instances in turn, so each read below is made
//! twice in a row: once on each.

use std::time::Duration;

use serde_json::json;

use crate::support::balanced::{balanced, balanced_pair, Balanced};
use crate::support::instance::pair_on_cluster;
use crate::support::metrics::sample;
use crate::support::records::{department, id, student};
use crate::support::wait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_is_read_fresh_through_the_other() {
    read_fresh_through_the_other(balanced_pair().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_cluster_a_write_through_one_instance_is_read_fresh_through_the_other() {
    read_fresh_through_the_other(balanced(pair_on_cluster().await).await).await;
}

async fn read_fresh_through_the_other(pair: Balanced) {
    let http = &pair.http;

    let cse = department(http, "CSE").await;
    let created = student(http, &cse, "PROP-001").await;
    let token = created
        .header("consistency-token")
        .expect("a consistency token");
    let path = format!("/api/v1/students/{}", id(&created.json()));
    let list = "/api/v1/students?roll_number=PROP-001";

    // Both instances read (and cache) the record and a list page holding it.
    let first = http.get_with(&path, &[("consistency-token", &token)]).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["first_name"], "Ada");
    for _ in 0..2 {
        let page = http.get_with(list, &[("consistency-token", &token)]).await;
        assert_eq!(page.json()["results"][0]["first_name"], "Ada");
        assert_eq!(http.get(&path).await.json()["first_name"], "Ada");
    }

    let etag = first.header("etag").expect("an ETag");
    let patched = http
        .patch(
            &path,
            &[("if-match", &etag)],
            json!({"first_name": "Augusta"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());

    // Both serve the new value, without any token, once the invalidation has arrived.
    let limit = Duration::from_secs(10);
    wait::until("both instances serve the updated record", limit, || async {
        for _ in 0..2 {
            let seen = http.get(&path).await.json();
            match seen["first_name"].as_str() {
                Some("Augusta") => {}
                other => return Err(format!("{other:?}")),
            }
        }
        Ok(())
    })
    .await;
    wait::until(
        "both instances serve the updated list page",
        limit,
        || async {
            for _ in 0..2 {
                let seen = http.get(list).await.json();
                match seen["results"][0]["first_name"].as_str() {
                    Some("Augusta") => {}
                    other => return Err(format!("{other:?}")),
                }
            }
            Ok(())
        },
    )
    .await;
    for _ in 0..2 {
        let version = http.get(&path).await.json()["version"].clone();
        assert_eq!(version, 2);
    }

    // It arrived through the invalidation channel, at the instance that did not write.
    let mut received = 0.0;
    for instance in [&pair.a, &pair.b] {
        let metrics = instance.http.get("/metrics").await.text();
        received += sample(
            &metrics,
            "campushub_cache_invalidations_total",
            "direction=\"received\"",
        );
    }
    assert!(received >= 1.0, "no instance received an invalidation");

    pair.finish().await;
}
