//! The outbox through real server processes on Postgres and Redis: a change made with `psql`
//! reaches the caches of both instances (behind nginx) within a second, and a server killed between a commit
//! and its invalidation (the `exit-after-commit` failpoint, feature `failpoints`) loses no
//! invalidation; on SQLite, a write made beside the server by another program reaches its cache
//! within a second too.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::balanced::balanced_pair;
use crate::support::db::psql;
use crate::support::instance::{namespace, replicated};
use crate::support::process::ProcessInstance;
use crate::support::records::{department, id};
use crate::support::{wait, Http, Services, TestDb};

/// The department's name as `http` serves it.
async fn name(http: &Http, path: &str) -> String {
    let reply = http.get(path).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["name"].as_str().unwrap_or_default().to_owned()
}

/// Reads `path` through both instances until each has it cached (the second read of each).
async fn cached_on_both(a: &Http, b: &Http, path: &str, expected: &str) {
    for http in [a, b, a, b] {
        assert_eq!(name(http, path).await, expected);
    }
}

/// [`cached_on_both`] through nginx, which takes the instances in turn.
async fn cached_through(nginx: &Http, path: &str, expected: &str) {
    cached_on_both(nginx, nginx, path, expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_made_with_psql_is_served_by_both_instances_within_a_second() {
    let pair = balanced_pair().await;
    let http = &pair.http;
    let record = department(http, "PSQL").await;
    let path = format!("/api/v1/departments/{}", id(&record));
    let before = record["name"].as_str().unwrap_or_default().to_owned();
    cached_through(http, &path, &before).await;

    psql(
        &pair.db.primary,
        &format!(
            "UPDATE departments SET name = 'Renamed with psql' WHERE id = '{}'",
            id(&record)
        ),
    );
    let committed = Instant::now();
    wait::until(
        "both instances serve the change",
        Duration::from_secs(5),
        || async {
            // Two reads in a row: one on each instance.
            for _ in 0..2 {
                let seen = name(http, &path).await;
                if seen != "Renamed with psql" {
                    return Err(seen);
                }
            }
            Ok(())
        },
    )
    .await;
    let elapsed = committed.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "both instances served the change after {elapsed:?}"
    );
    for _ in 0..2 {
        let reply = http.get(&path).await;
        assert_eq!(
            reply.json()["version"],
            2,
            "the change made outside got a version of its own"
        );
    }
    pair.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_between_commit_and_invalidation_loses_no_invalidation() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = replicated(&services, &db, &namespace());
    let survivor = ProcessInstance::spawn(&vars).await;
    let mut failing_vars = vars.clone();
    failing_vars.push(("CAMPUSHUB_FAILPOINT", "exit-after-commit".to_owned()));
    let mut crashing = ProcessInstance::spawn(&failing_vars).await;

    let record = department(&survivor.http, "CRASH").await;
    let path = format!("/api/v1/departments/{}", id(&record));
    let before = record["name"].as_str().unwrap_or_default().to_owned();
    cached_on_both(&survivor.http, &crashing.http, &path, &before).await;

    // The write commits, then the process dies before announcing it: no answer comes back.
    let attempt = crashing
        .http
        .attempt(
            axum::http::Method::PATCH,
            &path,
            &[],
            Some(&json!({"name": "Committed before the crash"})),
        )
        .await
        .map(|reply| reply.status);
    let status = crashing.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(86),
        "the failpoint ended the process (feature `failpoints` on); the request saw {attempt:?}"
    );

    // The survivor's relay delivers the invalidation the dead process never sent.
    wait::until(
        "the survivor serves the committed change",
        Duration::from_secs(5),
        || async {
            let seen = name(&survivor.http, &path).await;
            (seen == "Committed before the crash")
                .then_some(())
                .ok_or(seen)
        },
    )
    .await;
    // And the restarted instance serves it too.
    let restarted = ProcessInstance::spawn(&vars).await;
    assert_eq!(
        name(&restarted.http, &path).await,
        "Committed before the crash"
    );
    db.drop_database().await;
}

/// SQLite's triggers capture the writes of any program that opens the file: one made beside
/// the server (here with sqlx, as with the `sqlite3` shell) drops the server's cached record
/// within a second (the relay polls every quarter second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_made_beside_an_sqlite_server_is_served_within_a_second() {
    let dir = crate::support::commands::TempDir::new();
    let vars = dir.sqlite();
    let server = ProcessInstance::spawn(&vars).await;
    let record = department(&server.http, "SQLT").await;
    let path = format!("/api/v1/departments/{}", id(&record));
    let before = record["name"].as_str().unwrap_or_default().to_owned();
    for _ in 0..2 {
        assert_eq!(name(&server.http, &path).await, before);
    }

    let url = &vars[0].1;
    let mut beside = <sqlx::SqliteConnection as sqlx::Connection>::connect(url)
        .await
        .expect("open the server's file");
    sqlx::query("UPDATE departments SET name = 'Renamed beside' WHERE id = ?")
        .bind(id(&record))
        .execute(&mut beside)
        .await
        .expect("update beside the server");
    let committed = Instant::now();
    wait::until(
        "the server serves the change",
        Duration::from_secs(5),
        || async {
            let seen = name(&server.http, &path).await;
            (seen == "Renamed beside").then_some(()).ok_or(seen)
        },
    )
    .await;
    let elapsed = committed.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "served the change after {elapsed:?}"
    );
}
