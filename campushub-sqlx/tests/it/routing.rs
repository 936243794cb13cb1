//! Replica routing against real streaming replication: reads on the caught-up replica,
//! read-your-writes with replay paused, lag ejection, a replica stopped and restarted.
//! Fault-injecting tests run on a dedicated primary/replica pair.

use std::time::Duration;

use campushub_core::{Department, ReadOptions, Repository};
use campushub_sqlx::SqlRepository;
use sqlx::Row;

use crate::support::cluster::Cluster;
use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;
use crate::support::reads;
use crate::support::replay::{eventually, set_replay};

#[tokio::test]
async fn pg_reads_are_served_by_the_caught_up_replica() {
    let db = TestDb::shared().await;
    let router = db.router(|c| c).await;
    let repo = SqlRepository::<Department, _>::new(router.clone());
    let cse = department("CSE");
    let written = repo.insert(&cse).await.expect("insert");
    db.sync().await;
    router.check_health().await;

    let primary_before = reads(&router, "primary");
    for _ in 0..5 {
        let found = repo
            .get(cse.meta.id, &ReadOptions::default())
            .await
            .expect("read");
        assert_eq!(found.map(|d| d.code), Some("CSE".into()));
    }
    let found = repo
        .get(cse.meta.id, &ReadOptions::after(written.token))
        .await
        .expect("token read");
    assert!(found.is_some());
    assert_eq!(
        reads(&router, "replica-0"),
        6,
        "all six reads on the replica"
    );
    assert_eq!(
        reads(&router, "primary"),
        primary_before,
        "none on the primary"
    );
}

#[tokio::test]
async fn pg_paused_replay_read_your_writes_then_lag_ejection() {
    let cluster = Cluster::start().await;
    let db = TestDb::create(&cluster.primary(), &cluster.replica()).await;
    // A lenient router keeps the lagging replica in rotation; a strict one ejects it.
    let lenient = db
        .router(|c| {
            c.with_max_lag(Duration::from_secs(3600))
                .with_health_interval(Duration::from_millis(100))
        })
        .await;
    let strict = db
        .router(|c| {
            c.with_max_lag(Duration::from_millis(300))
                .with_health_interval(Duration::from_millis(100))
        })
        .await;
    let repo = SqlRepository::<Department, _>::new(lenient.clone());
    let strict_repo = SqlRepository::<Department, _>::new(strict.clone());

    let mut cse = department("CSE");
    repo.insert(&cse).await.expect("insert");
    db.sync().await;
    lenient.check_health().await;
    set_replay(&db, true).await;

    let old = cse.meta.version;
    cse.name = "Computing".into();
    cse.meta = cse.meta.next();
    let written = repo
        .update(&cse, old)
        .await
        .expect("update while replay is paused");
    assert!(written.token.is_some());

    // With the token: the new value, from the primary.
    let primary_before = reads(&lenient, "primary");
    let fresh = repo
        .get(cse.meta.id, &ReadOptions::after(written.token))
        .await
        .expect("token read");
    assert_eq!(fresh.map(|d| d.name), Some("Computing".into()));
    assert!(
        reads(&lenient, "primary") > primary_before,
        "the token read went to the primary"
    );

    // Without a token: the replica answers, with the old value (documented staleness).
    let replica_before = reads(&lenient, "replica-0");
    let stale = repo
        .get(cse.meta.id, &ReadOptions::default())
        .await
        .expect("token-less read");
    assert_eq!(stale.map(|d| d.name), Some("Department CSE".into()));
    assert_eq!(reads(&lenient, "replica-0"), replica_before + 1);

    // Beyond the strict bound the replica is ejected, and reads move to the primary.
    eventually(
        Duration::from_secs(20),
        "the strict router ejects the lagging replica",
        async || strict.pool("replica-0").is_some_and(|s| !s.healthy),
    )
    .await;
    assert!(strict.pool("replica-0").expect("stats").ejections >= 1);
    let current = strict_repo
        .get(cse.meta.id, &ReadOptions::default())
        .await
        .expect("read");
    assert_eq!(
        current.map(|d| d.name),
        Some("Computing".into()),
        "an ejected replica serves nothing"
    );

    // Resumed: token reads are served by the replica again, and the strict router readmits it.
    set_replay(&db, false).await;
    eventually(
        Duration::from_secs(20),
        "token reads return to the replica",
        async || {
            let before = reads(&lenient, "replica-0");
            let found = repo
                .get(cse.meta.id, &ReadOptions::after(written.token))
                .await
                .expect("read");
            assert_eq!(found.map(|d| d.name), Some("Computing".into()));
            reads(&lenient, "replica-0") > before
        },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the strict router readmits the replica",
        async || {
            strict
                .pool("replica-0")
                .is_some_and(|s| s.healthy && s.readmissions >= 1)
        },
    )
    .await;
}

#[tokio::test]
async fn pg_transactions_lock_rows_on_the_primary_and_yield_a_token() {
    let db = TestDb::shared().await;
    let router = db.router(|c| c).await;
    let repo = SqlRepository::<Department, _>::new(router.clone());
    let ee = department("EE");
    let inserted = repo.insert(&ee).await.expect("insert");
    db.sync().await;
    router.check_health().await;

    // A replica refuses `FOR UPDATE`: the lock succeeding shows the transaction is on the primary.
    let mut holder = router.begin().await.expect("begin");
    let locked: String = sqlx::query("SELECT name FROM departments WHERE id = $1 FOR UPDATE")
        .bind(ee.meta.id)
        .fetch_one(&mut *holder)
        .await
        .expect("lock the row")
        .get(0);
    assert_eq!(locked, "Department EE");

    let mut contender = router.begin().await.expect("begin a second transaction");
    let refused = sqlx::query("SELECT name FROM departments WHERE id = $1 FOR UPDATE NOWAIT")
        .bind(ee.meta.id)
        .fetch_one(&mut *contender)
        .await
        .expect_err("the row is locked by the first transaction");
    let code = refused
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("55P03"),
        "lock_not_available: {refused}"
    );
    contender.rollback().await.expect("rollback");

    sqlx::query("UPDATE departments SET name = 'Electrical', version = version + 1 WHERE id = $1")
        .bind(ee.meta.id)
        .execute(&mut *holder)
        .await
        .expect("update under the lock");
    holder.commit().await.expect("commit");

    let token = router.write_token().await.expect("token");
    let inserted = inserted.token.expect("the insert's token");
    assert!(
        token.position() > inserted.position(),
        "the token moved past the insert"
    );
    let found = repo
        .get(ee.meta.id, &ReadOptions::after(Some(token)))
        .await
        .expect("token read")
        .expect("still there");
    assert_eq!((found.name.as_str(), found.meta.version), ("Electrical", 2));
}

#[tokio::test]
async fn pg_replica_stopped_then_restarted() {
    let cluster = Cluster::start().await;
    let db = TestDb::create(&cluster.primary(), &cluster.replica()).await;
    let interval = Duration::from_millis(200);
    let router = db
        .router(|c| {
            c.with_health_interval(interval)
                .with_replica_acquire_timeout(Duration::from_millis(500))
        })
        .await;
    let repo = SqlRepository::<Department, _>::new(router.clone());
    let cse = department("CSE");
    repo.insert(&cse).await.expect("insert");
    db.sync().await;
    router.check_health().await;
    assert!(repo
        .get(cse.meta.id, &ReadOptions::default())
        .await
        .expect("read")
        .is_some());
    assert_eq!(reads(&router, "replica-0"), 1);

    cluster.replica_stop().await;
    for _ in 0..20 {
        let found = repo
            .get(cse.meta.id, &ReadOptions::default())
            .await
            .expect("no error reaches the caller");
        assert_eq!(found.map(|d| d.code), Some("CSE".into()));
    }
    let stats = router.pool("replica-0").expect("stats");
    assert!(
        !stats.healthy && stats.ejections >= 1,
        "the stopped replica is out of rotation: {stats:?}"
    );
    assert!(
        reads(&router, "primary") >= 20,
        "the primary served the reads"
    );

    cluster.replica_start().await;
    eventually(
        Duration::from_secs(30),
        "the restarted replica is readmitted",
        async || {
            router
                .pool("replica-0")
                .is_some_and(|s| s.healthy && s.readmissions >= 1)
        },
    )
    .await;
    let before = reads(&router, "replica-0");
    assert!(repo
        .get(cse.meta.id, &ReadOptions::default())
        .await
        .expect("read")
        .is_some());
    assert_eq!(
        reads(&router, "replica-0"),
        before + 1,
        "reads go to the replica again"
    );
}
