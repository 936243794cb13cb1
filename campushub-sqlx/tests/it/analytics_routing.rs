//! Aggregates on the analytics database by position: a standby of the primary serves reads
//! with a token once it has replayed that far (replay paused: the primary does), within its
//! lag bound; a database that is not a standby of the primary serves token-less reads only.

use std::time::Duration;

use campushub_core::analytics::Analytics;
use campushub_core::{
    Department, Entity, ListQuery, ReadOptions, ReadRoute, Repository, Student, Written,
};
use campushub_sqlx::{PgRouter, PgRouterConfig, SqlAnalytics, SqlRepository};
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::support::cluster::Cluster;
use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;
use crate::support::reads;
use crate::support::replay::{eventually, set_replay};

/// An aggregate read after `written` (or without a token).
fn aggregate(written: Option<Written>) -> ReadOptions {
    ReadOptions::after(written.and_then(|w| w.token)).on(ReadRoute::Analytics)
}

/// The students counted by an aggregate statement read with `read`.
async fn students_counted(router: &PgRouter, read: &ReadOptions) -> u64 {
    let students = SqlRepository::<Student, _>::new(router.clone());
    let query = ListQuery::new(Student::schema());
    let counts = students
        .group_counts(&query, &["status"], read)
        .await
        .expect("grouped counts");
    counts.total
}

/// A department and one student in it, written through `router`.
async fn seed(router: &PgRouter, code: &str) -> Written {
    let departments = SqlRepository::<Department, _>::new(router.clone());
    let dept = department(code);
    departments.insert(&dept).await.expect("department");
    add_student(router, dept.meta.id, &format!("{code}001")).await
}

async fn add_student(router: &PgRouter, department: uuid::Uuid, roll: &str) -> Written {
    let students = SqlRepository::<Student, _>::new(router.clone());
    students
        .insert(&student(roll, Some(department), json!({})))
        .await
        .expect("student")
}

#[tokio::test]
async fn pg_token_aggregates_go_to_the_analytics_standby_once_it_has_replayed_them() {
    let cluster = Cluster::start().await;
    let db = TestDb::create(&cluster.primary(), &cluster.replica()).await;
    // No replica: what the analytics standby cannot serve goes to the primary. A lenient lag
    // bound keeps the paused standby in rotation; a strict one ejects it.
    let config = |lag| {
        PgRouterConfig::new(&db.primary)
            .with_analytics(&db.replica)
            .with_max_lag(lag)
            .with_health_interval(Duration::from_millis(100))
    };
    let router = PgRouter::connect(config(Duration::from_secs(3600)))
        .await
        .expect("router");
    let strict = PgRouter::connect(config(Duration::from_millis(300)))
        .await
        .expect("strict router");

    let first = seed(&router, "CSE").await;
    db.sync().await;
    router.check_health().await;
    let stats = router.pool("analytics").expect("the analytics pool");
    assert!(stats.follows_primary, "the replica is a standby: {stats:?}");

    // A token the standby has replayed: the aggregates run there, none on the primary.
    let primary_before = reads(&router, "primary");
    assert_eq!(students_counted(&router, &aggregate(Some(first))).await, 1);
    let summary = SqlAnalytics::new(router.clone())
        .summary(&aggregate(Some(first)))
        .await
        .expect("summary");
    assert_eq!(summary.students_total, 1);
    assert_eq!(reads(&router, "analytics"), 2, "both on the analytics pool");
    assert_eq!(reads(&router, "primary"), primary_before);

    // Replay paused: a later write's token is beyond the standby, so its aggregate reads the
    // primary and counts the new student; a token-less one may read the standby's past.
    set_replay(&db, true).await;
    let departments = SqlRepository::<Department, _>::new(router.clone());
    let cse = departments
        .find_by_natural_key("CSE", &ReadOptions::default().on(ReadRoute::Primary))
        .await
        .expect("read")
        .expect("the department");
    let second = add_student(&router, cse.meta.id, "CSE002").await;
    let analytics_before = reads(&router, "analytics");
    let primary_before = reads(&router, "primary");
    assert_eq!(students_counted(&router, &aggregate(Some(second))).await, 2);
    assert_eq!(reads(&router, "analytics"), analytics_before);
    assert_eq!(reads(&router, "primary"), primary_before + 1);
    assert_eq!(
        students_counted(&router, &aggregate(None)).await,
        1,
        "token-less: the standby, behind within the lag bound"
    );
    assert_eq!(reads(&router, "analytics"), analytics_before + 1);

    // Beyond the strict bound the standby is out of rotation, even for token-less reads.
    eventually(
        Duration::from_secs(20),
        "the strict router ejects the lagging analytics standby",
        async || strict.pool("analytics").is_some_and(|s| !s.healthy),
    )
    .await;
    assert_eq!(students_counted(&strict, &aggregate(None)).await, 2);
    assert_eq!(reads(&strict, "analytics"), 0);

    // Resumed: the later token's aggregates return to the standby.
    set_replay(&db, false).await;
    eventually(
        Duration::from_secs(20),
        "token aggregates return to the analytics standby",
        async || {
            let before = reads(&router, "analytics");
            assert_eq!(students_counted(&router, &aggregate(Some(second))).await, 2);
            reads(&router, "analytics") > before
        },
    )
    .await;
}

#[tokio::test]
async fn pg_an_analytics_database_that_is_not_a_standby_serves_token_less_aggregates_only() {
    // The analytics database is a standby, but of another cluster: its positions are not
    // the primary's. It holds no students; the primary holds one.
    let db = TestDb::shared().await;
    let cluster = Cluster::start().await;
    let elsewhere = TestDb::create(&cluster.primary(), &cluster.replica()).await;
    let config = PgRouterConfig::new(&db.primary).with_analytics(&elsewhere.replica);
    let router = PgRouter::connect(config).await.expect("router");
    let written = seed(&router, "ECE").await;
    router.check_health().await;
    let stats = router.pool("analytics").expect("the analytics pool");
    assert!(
        stats.healthy && !stats.follows_primary,
        "in rotation, not by position: {stats:?}"
    );

    assert_eq!(students_counted(&router, &aggregate(None)).await, 0);
    assert_eq!(
        reads(&router, "analytics"),
        1,
        "token-less: the analytics db"
    );

    let statements_before = router.pool("analytics").map_or(0, |s| s.statements);
    assert_eq!(
        students_counted(&router, &aggregate(Some(written))).await,
        1
    );
    let stats = router.pool("analytics").expect("the analytics pool");
    assert_eq!(
        (stats.reads, stats.statements),
        (1, statements_before),
        "a token read neither runs nor measures there"
    );
}

#[tokio::test]
async fn pg_a_role_that_may_not_read_the_system_identifier_keeps_replicas_and_token_less_analytics()
{
    // A role for which `pg_control_system()` is revoked (in this database only) cannot tell
    // whether the analytics database is a standby: it loses routing by position there, and
    // nothing else (the replicas' probe does not need the function).
    let db = TestDb::shared().await;
    let role = format!("r_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&db.primary).await.expect("connect");
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        "REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC".to_owned(),
    ] {
        sqlx::query(&sql).execute(&mut admin).await.expect(&sql);
    }
    let as_role = |url: &str| url.replacen("postgres@", &format!("{role}@"), 1);
    let config = PgRouterConfig::new(as_role(&db.primary))
        .with_replica(as_role(&db.replica))
        .with_analytics(as_role(&db.replica));
    let router = PgRouter::connect(config).await.expect("router");
    let written = seed(&router, "ROL").await;
    db.sync().await;
    router.check_health().await;

    let analytics = router.pool("analytics").expect("the analytics pool");
    assert!(
        analytics.healthy && !analytics.follows_primary,
        "{analytics:?}"
    );
    let replica = router.pool("replica-0").expect("the replica");
    assert!(
        replica.healthy,
        "the replica stays in rotation: {replica:?}"
    );
    assert_eq!(
        students_counted(&router, &aggregate(Some(written))).await,
        1
    );
    assert_eq!(reads(&router, "analytics"), 0, "not by position");
    assert_eq!(
        reads(&router, "replica-0"),
        1,
        "the caught-up replica instead"
    );
    assert_eq!(students_counted(&router, &aggregate(None)).await, 1);
    assert_eq!(
        reads(&router, "analytics"),
        1,
        "token-less: the analytics db"
    );

    drop(router);
    let revoke = format!("DROP OWNED BY {role}");
    sqlx::query(&revoke)
        .execute(&mut admin)
        .await
        .expect(&revoke);
    drop(admin);
    drop(db);
    let mut server = PgConnection::connect(&crate::support::env("CAMPUSHUB_TEST_PG_PRIMARY"))
        .await
        .expect("connect");
    sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
        .execute(&mut server)
        .await
        .expect("drop the role");
}
