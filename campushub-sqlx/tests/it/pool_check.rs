//! Pooled connections are tested before use once they have sat idle: a connection whose
//! server went away while it waited in the pool is replaced, not handed to a read. (A
//! connection released moments ago was tested on release and is handed out untested.)

use std::time::Duration;

use campushub_core::{ReadOptions, ReadRoute, Repository, Student};
use campushub_sqlx::SqlRepository;
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::support::fixtures::student;
use crate::support::pgdb::TestDb;

/// Longer than the idle time after which the pool tests a connection (one second).
const IDLE: Duration = Duration::from_millis(1_500);

#[tokio::test]
async fn an_idle_connection_whose_backend_died_is_replaced_before_a_read() {
    let db = TestDb::shared().await;
    let database = db.primary.rsplit('/').next().unwrap_or_default().to_owned();
    // The primary alone: a read there has no retry on another server to hide a dead
    // connection behind.
    let students = SqlRepository::<Student, _>::new(db.primary_router().await);
    let primary = ReadOptions::default().on(ReadRoute::Primary);
    let stored = student("P-001", None, json!({}));
    students.insert(&stored).await.expect("insert");
    let id = stored.meta.id;
    assert!(students.get(id, &primary).await.expect("read").is_some());

    let admin_url = std::env::var("CAMPUSHUB_TEST_PG_PRIMARY").expect("the test services");
    let mut admin = PgConnection::connect(&admin_url).await.expect("admin");
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()) t",
    )
    .bind(&database)
    .fetch_one(&mut admin)
    .await
    .expect("terminate");
    assert!(terminated >= 1, "the pool's connections were terminated");
    tokio::time::sleep(IDLE).await;

    for round in 0..3 {
        let read = students.get(id, &primary).await;
        assert!(
            matches!(read, Ok(Some(_))),
            "read {round} after the pool's backends died: {read:?}"
        );
    }
}
