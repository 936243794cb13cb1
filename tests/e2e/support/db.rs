//! A database of its own for each test, created on the primary (the replica gets it through
//! replication), so tests running at the same time never see each other's rows.

use std::process::Command;
use std::time::Duration;

use campushub::core::ConsistencyToken;
use sqlx::{Connection, Executor, PgConnection};

use super::env::with_database;
use super::wait;

/// One test's database on a primary and its replica.
#[derive(Debug, Clone)]
pub struct TestDb {
    /// The database's name.
    pub name: String,
    /// Its URL on the primary.
    pub primary: String,
    /// Its URL on the replica.
    pub replica: String,
    admin: String,
}

impl TestDb {
    /// Creates a fresh database through `primary` (an admin URL) and waits until `replica`
    /// has replayed it.
    pub async fn create(primary: &str, replica: &str) -> TestDb {
        let name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(primary)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {primary}: {e}"));
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("CREATE DATABASE");
        let db = TestDb {
            primary: with_database(primary, &name),
            replica: with_database(replica, &name),
            admin: primary.to_owned(),
            name,
        };
        let replica_url = db.replica.clone();
        wait::until(
            "the replica has the new database",
            Duration::from_secs(30),
            || {
                let url = replica_url.clone();
                async move {
                    PgConnection::connect(&url)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            },
        )
        .await;
        db
    }

    /// Runs `sql` on this database on the replica (`pg_wal_replay_pause()` and friends).
    pub async fn on_replica(&self, sql: &str) {
        let mut conn = PgConnection::connect(&self.replica)
            .await
            .expect("connect to the replica");
        conn.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql} on the replica: {e}"));
    }

    /// Waits until the replica has replayed the write whose `Consistency-Token` was `token`.
    pub async fn wait_for_replay(&self, token: &str) {
        let token: ConsistencyToken = token.parse().expect("a consistency token");
        let target = i64::try_from(token.position()).expect("a WAL position");
        self.wait_for_position(target).await;
    }

    /// Waits until the background writes that follow a write have settled and the replica has
    /// replayed them: the outbox delivered (its relay's token is read after the write), one
    /// fold of the kept counts (every second), and the primary's position then replayed.
    pub async fn settle(&self) {
        self.outbox_delivered().await;
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let mut primary = PgConnection::connect(&self.primary)
            .await
            .expect("connect to the primary");
        let position: i64 =
            sqlx::query_scalar("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
                .fetch_one(&mut primary)
                .await
                .expect("the primary's position");
        self.wait_for_position(position).await;
    }

    /// Waits until every change in the outbox was delivered (and deleted).
    pub async fn outbox_delivered(&self) {
        let mut primary = PgConnection::connect(&self.primary)
            .await
            .expect("connect to the primary");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM campushub_outbox")
                .fetch_one(&mut primary)
                .await
                .expect("the outbox");
            if pending == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{pending} changes still pending in the outbox"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the replica has replayed WAL position `target`.
    async fn wait_for_position(&self, target: i64) {
        let replica_url = self.replica.clone();
        wait::until(
            "the replica has replayed the write",
            Duration::from_secs(30),
            || {
                let url = replica_url.clone();
                async move {
                    let mut replica = PgConnection::connect(&url)
                        .await
                        .map_err(|e| e.to_string())?;
                    let replayed: i64 = sqlx::query_scalar(
                        "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint",
                    )
                    .fetch_one(&mut replica)
                    .await
                    .map_err(|e| e.to_string())?;
                    (replayed >= target)
                        .then_some(())
                        .ok_or_else(|| format!("replayed {replayed} of {target}"))
                }
            },
        )
        .await;
    }

    /// Drops the database (best effort: the services are thrown away after the run anyway).
    pub async fn drop_database(self) {
        if let Ok(mut admin) = PgConnection::connect(&self.admin).await {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = admin.execute(sql.as_str()).await;
        }
    }
}

/// Runs `sql` with the `psql` client on `url`, as an operator fixing a row by hand would.
pub fn psql(url: &str, sql: &str) {
    let client = std::env::var("CAMPUSHUB_TEST_PG_BIN")
        .map(|bin| format!("{bin}/psql"))
        .unwrap_or_else(|_| "psql".to_owned());
    let output = Command::new(client)
        .args([url, "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
