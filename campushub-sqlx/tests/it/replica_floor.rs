//! A replica that comes back behind what it has already served (crash recovery resumes from
//! its last restart point) serves no read until it has caught up again: its new connections
//! are refused and the reads go to the primary.
//!
//! The router's "replica" is a relay: first to the primary (always at the newest position),
//! then to the real replica with its replay paused. To the router, the replica went down and
//! came back behind positions it had shown, which is what an immediate shutdown and restart
//! does, without waiting for a restart point to fall far enough back.

use std::time::Duration;

use campushub_core::{Department, ReadOptions, Repository};
use campushub_sqlx::{PgRouter, PgRouterConfig, SqlRepository};
use campushub_testkit::Relay;

use crate::support::cluster::Cluster;
use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;
use crate::support::replay::{eventually, set_replay};

/// The `host:port` of a `postgres://user@host:port/db` URL.
fn address(url: &str) -> &str {
    let after_at = url.rsplit_once('@').map_or(url, |(_, rest)| rest);
    after_at
        .split_once('/')
        .map_or(after_at, |(address, _)| address)
}

fn stats(router: &PgRouter) -> campushub_sqlx::PoolStats {
    router.pool("replica-0").expect("the replica's stats")
}

#[tokio::test]
async fn pg_a_replica_back_behind_what_it_served_reads_nothing_until_it_catches_up() {
    let cluster = Cluster::start().await;
    let db = TestDb::create(&cluster.primary(), &cluster.replica()).await;
    let relay = Relay::start(address(&db.primary)).await;
    let through_relay = db.replica.replace(address(&db.replica), &relay.address());
    // Lag never ejects here: the health probe must not be what keeps the reads right.
    let config = PgRouterConfig::new(&db.primary)
        .with_replica(&through_relay)
        .with_max_lag(Duration::from_secs(3600))
        .with_health_interval(Duration::from_millis(100))
        .with_replica_acquire_timeout(Duration::from_millis(800));
    let router = PgRouter::connect(config).await.expect("router");
    let repo = SqlRepository::<Department, _>::new(router.clone());

    let first = department("CSE");
    repo.insert(&first).await.expect("insert");
    router.check_health().await;
    let found = repo.get(first.meta.id, &ReadOptions::default()).await;
    assert!(found.expect("read").is_some());
    assert_eq!(stats(&router).reads, 1, "served by the \"replica\"");

    // The real replica stops replaying; a record is written that it will not have.
    set_replay(&db, true).await;
    let second = department("ECE");
    let written = repo
        .insert(&second)
        .await
        .expect("insert while replay is paused");
    let token = written.token.expect("a Postgres write has a token");
    // The services run with `synchronous_commit = off`: the position the "replica" shows
    // (the primary's write position) passes the commit once the WAL writer has flushed it.
    eventually(
        Duration::from_secs(10),
        "the \"replica\" has shown a position past the write",
        async || {
            router.check_health().await;
            stats(&router).replay_position >= token.position()
        },
    )
    .await;

    // The replica "restarts" behind the positions it has served.
    relay.redirect(address(&db.replica));
    for _ in 0..10 {
        let found = repo
            .get(second.meta.id, &ReadOptions::default())
            .await
            .expect("no error reaches the caller");
        assert_eq!(
            found.map(|d| d.code),
            Some("ECE".to_owned()),
            "a record written before the replica came back behind is not missing"
        );
    }
    let behind = stats(&router);
    assert_eq!(behind.reads, 1, "no read served behind: {behind:?}");
    assert!(!behind.healthy, "out of rotation while behind: {behind:?}");

    // Caught up past what it had served, it is admitted again.
    set_replay(&db, false).await;
    eventually(
        Duration::from_secs(30),
        "the caught-up replica is back in rotation",
        async || stats(&router).healthy,
    )
    .await;
    let found = repo
        .get(second.meta.id, &ReadOptions::default())
        .await
        .expect("read");
    assert!(found.is_some());
    assert_eq!(stats(&router).reads, 2, "reads go to the replica again");
}
