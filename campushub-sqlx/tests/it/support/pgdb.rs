//! A private database per test on the shared primary (visible on its replica), so parallel
//! tests never see each other's rows.

use std::time::{Duration, Instant};

use campushub_sqlx::{PgRouter, PgRouterConfig};
use sqlx::{Connection, PgConnection, Row};

use super::env;

/// A migrated database on a primary, with its URL on the primary and on the replica.
/// Dropped (with its connections) when the value is dropped.
pub struct TestDb {
    /// The database on the primary.
    pub primary: String,
    /// The same database on the replica.
    pub replica: String,
    admin: String,
    name: String,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let base = url.rsplit_once('/').map(|(base, _)| base).unwrap_or(url);
    format!("{base}/{database}")
}

impl TestDb {
    /// A fresh, migrated database on the shared services, caught up on the replica.
    pub async fn shared() -> TestDb {
        Self::create(
            &env("CAMPUSHUB_TEST_PG_PRIMARY"),
            &env("CAMPUSHUB_TEST_PG_REPLICA"),
        )
        .await
    }

    /// A fresh database on the shared services without CampusHub's migrations, for a test
    /// that applies them itself (some now, the rest later).
    pub async fn shared_unmigrated() -> TestDb {
        Self::unmigrated(
            &env("CAMPUSHUB_TEST_PG_PRIMARY"),
            &env("CAMPUSHUB_TEST_PG_REPLICA"),
        )
        .await
    }

    /// A fresh, migrated database on the given primary/replica pair.
    pub async fn create(primary_admin: &str, replica_admin: &str) -> TestDb {
        let db = Self::unmigrated(primary_admin, replica_admin).await;
        let router = db.primary_router().await;
        router.migrate().await.expect("migrate");
        db.sync().await;
        db
    }

    /// A fresh, empty database on the given primary/replica pair.
    async fn unmigrated(primary_admin: &str, replica_admin: &str) -> TestDb {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(primary_admin)
            .await
            .expect("connect to the primary");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        TestDb {
            primary: with_database(primary_admin, &name),
            replica: with_database(replica_admin, &name),
            admin: primary_admin.to_owned(),
            name,
        }
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    pub async fn wait_for_replica(&self, primary: &mut PgConnection) {
        let target: i64 =
            sqlx::query("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
                .fetch_one(&mut *primary)
                .await
                .expect("primary position")
                .get(0);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut replica) = PgConnection::connect(&self.replica).await {
                let replayed: Option<i64> =
                    sqlx::query("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint")
                        .fetch_one(&mut replica)
                        .await
                        .ok()
                        .and_then(|row| row.get(0));
                if replayed.is_some_and(|r| r >= target) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the replica did not catch up within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A router with no replica (every read on the primary).
    pub async fn primary_router(&self) -> PgRouter {
        PgRouter::primary_only(&self.primary).await.expect("router")
    }

    /// A router over the primary and its replica.
    pub async fn router(&self, config: impl FnOnce(PgRouterConfig) -> PgRouterConfig) -> PgRouter {
        let config = config(PgRouterConfig::new(&self.primary).with_replica(&self.replica));
        PgRouter::connect(config).await.expect("router")
    }

    /// Waits until the replica has replayed everything written so far.
    pub async fn sync(&self) {
        let mut primary = PgConnection::connect(&self.primary).await.expect("connect");
        self.wait_for_replica(&mut primary).await;
    }
}
