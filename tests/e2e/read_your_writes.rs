//! Read-your-writes with the replica's replay paused, on a primary + replica of this test's
//! own (pausing the shared replica would disturb the tests running beside it), and through an
//! instance whose cache has not heard of the write.

use std::time::Duration;

use serde_json::json;

use crate::support::dedicated::Dedicated;
use crate::support::instance::{namespace, replicated};
use crate::support::records::{department, id};
use crate::support::{wait, Instance, Services, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_sees_the_write_while_the_replica_is_paused() {
    let dedicated = Dedicated::start();
    let services = &dedicated.services;
    let db = TestDb::create(&services.primary, &services.replica).await;
    // No cache, so that reads without a token show where they are served; a lag bound far
    // above the test's length, so that the paused replica stays in rotation.
    let server = Instance::start(&[
        ("CAMPUSHUB_DATABASE_URL", db.primary.clone()),
        ("CAMPUSHUB_REPLICA_URLS", db.replica.clone()),
        ("CAMPUSHUB_REPLICA_MAX_LAG", "1h".to_owned()),
        ("CAMPUSHUB_CACHE", "off".to_owned()),
    ])
    .await;
    let http = &server.http;

    let record = department(http, "RYW").await;
    let path = format!("/api/v1/departments/{}", id(&record));
    let limit = Duration::from_secs(20);
    wait::until("the replica serves the new record", limit, || async {
        let reply = http.get(&path).await;
        (reply.status == 200).then_some(()).ok_or(reply.text())
    })
    .await;

    db.on_replica("SELECT pg_wal_replay_pause()").await;
    let patched = http
        .patch(&path, &[], json!({"name": "Renamed while paused"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let token = patched
        .header("consistency-token")
        .expect("a consistency token");

    let mine = http.get_with(&path, &[("consistency-token", &token)]).await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.json()["name"], "Renamed while paused");
    let list = http
        .get_with(
            "/api/v1/departments?code=RYW",
            &[("consistency-token", &token)],
        )
        .await;
    assert_eq!(list.json()["results"][0]["name"], "Renamed while paused");

    // Without the token the paused replica answers: the old value (documented behaviour).
    let stale = http.get(&path).await;
    assert_eq!(stale.json()["name"], "Department RYW");
    let ready = http.get("/readyz").await.json();
    assert_eq!(ready["components"]["replica-0"]["ok"], true, "{ready}");

    db.on_replica("SELECT pg_wal_replay_resume()").await;
    wait::until("the resumed replica serves the write", limit, || async {
        let seen = http.get(&path).await.json();
        match seen["name"].as_str() {
            Some("Renamed while paused") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    drop(server);
}

/// An instance that has not heard of a write (its invalidation message is late, or Redis is
/// unreachable from it: here it listens on another namespace, so it never hears) holds the
/// old version in its cache; a read carrying the write's token must not be answered from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_through_an_instance_that_missed_the_invalidation_sees_the_write() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let writer = Instance::start(&replicated(&services, &db, &namespace())).await;
    let reader = Instance::start(&replicated(&services, &db, &namespace())).await;

    let created = writer
        .http
        .create(
            "/api/v1/departments",
            json!({"code": "MISS", "name": "Missed"}),
        )
        .await;
    let created_token = created.header("consistency-token").expect("a token");
    let record = created.json();
    let path = format!("/api/v1/departments/{}", id(&record));
    let version = record["version"].as_i64().expect("a version");
    // The reader caches the record (read at the create's position, so never a "not found").
    let cached = reader
        .http
        .get_with(&path, &[("consistency-token", &created_token)])
        .await;
    assert_eq!(
        cached.json()["version"].as_i64(),
        Some(version),
        "{}",
        cached.text()
    );
    let again = reader.http.get(&path).await;
    assert_eq!(again.json()["name"], "Missed");

    let patched = writer
        .http
        .patch(&path, &[], json!({"name": "Renamed elsewhere"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let token = patched
        .header("consistency-token")
        .expect("a consistency token");

    let mine = reader
        .http
        .get_with(&path, &[("consistency-token", &token)])
        .await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    assert_eq!(mine.json()["name"], "Renamed elsewhere", "{}", mine.text());
    assert_eq!(mine.json()["version"].as_i64(), Some(version + 1));
    let list = reader
        .http
        .get_with(
            "/api/v1/departments?code=MISS",
            &[("consistency-token", &token)],
        )
        .await;
    assert_eq!(list.json()["results"][0]["name"], "Renamed elsewhere");
}
