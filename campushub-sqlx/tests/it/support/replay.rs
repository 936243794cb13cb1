//! Waiting on and steering the replica: polling until a condition holds, pausing and resuming
//! its WAL replay.

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, Row};

use super::pgdb::TestDb;

/// Polls `condition` every 50 ms until it holds, failing after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A connection to the replica of `db`.
pub async fn replica_connection(db: &TestDb) -> PgConnection {
    PgConnection::connect(&db.replica)
        .await
        .expect("connect to the replica")
}

/// Pauses (`true`) or resumes the replica's WAL replay, and waits until it has.
pub async fn set_replay(db: &TestDb, paused: bool) {
    let mut replica = replica_connection(db).await;
    let sql = if paused {
        "SELECT pg_wal_replay_pause()"
    } else {
        "SELECT pg_wal_replay_resume()"
    };
    sqlx::query(sql)
        .execute(&mut replica)
        .await
        .expect("toggle replay");
    let wanted = if paused { "paused" } else { "not paused" };
    eventually(
        Duration::from_secs(10),
        "replay pause state changes",
        async || {
            let state: String = sqlx::query("SELECT pg_get_wal_replay_pause_state()")
                .fetch_one(&mut replica)
                .await
                .expect("pause state")
                .get(0);
            state == wanted
        },
    )
    .await;
}
