//! The audit log's Postgres partitions (core's conformance suite, run on both backends by
//! `conformance.rs`, holds what the log records): the migrator creates the months ahead, an
//! entry of a month without a partition lands in the default one and moves into its month's
//! partition when that is created, and retention drops whole months.

use campushub_core::audit_log::{AuditAction, AuditEntry};
use campushub_core::conformance::data::{create, department_input};
use campushub_core::{Department, EntityKind, Principal, Repository, Role};
use campushub_sqlx::SqlRepository;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sqlx::{Connection, PgConnection};

use crate::support::pgdb::TestDb;

/// The first instant of the month `months` after the current one (UTC).
fn month_start(months: u32) -> DateTime<Utc> {
    let now = Utc::now();
    let index = now.year() * 12 + i32::try_from(now.month0() + months).unwrap_or(0);
    Utc.with_ymd_and_hms(
        index.div_euclid(12),
        index.rem_euclid(12) as u32 + 1,
        1,
        0,
        0,
        0,
    )
    .single()
    .expect("a month start")
}

/// The partition name of the month starting at `start`.
fn partition(start: DateTime<Utc>) -> String {
    format!("campushub_audit_log_{}", start.format("%Y_%m"))
}

/// Rows of the audit log's table `table` (a partition).
async fn rows(connection: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(connection)
        .await
        .expect("count")
}

/// Stores a department written at `at`, audited.
async fn audited_at(
    repository: &SqlRepository<Department, campushub_sqlx::PgRouter>,
    code: &str,
    at: DateTime<Utc>,
) {
    let department: Department = create(department_input(code, &format!("Dept {code}")));
    let principal = Principal::new("partitions", [Role::ADMIN]);
    let mut entry = AuditEntry::new(
        &principal,
        AuditAction::Create,
        EntityKind::DEPARTMENT,
        department.meta.id,
        (None, Some(1)),
    );
    entry.at = at;
    repository
        .insert_audited(&department, &entry)
        .await
        .expect("an audited insert");
}

#[tokio::test]
async fn months_ahead_exist_rows_move_out_of_the_default_and_retention_drops_months() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let repository = SqlRepository::<Department, _>::new(router);
    let mut connection = PgConnection::connect(&db.primary).await.expect("connect");
    for months in [0, 12] {
        let name = partition(month_start(months));
        let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
            .bind(&name)
            .fetch_one(&mut connection)
            .await
            .expect("lookup");
        assert_eq!(
            exists.as_deref(),
            Some(name.as_str()),
            "the migrator made {name}"
        );
    }

    // Fourteen months ahead has no partition yet: the default takes the row.
    let later = month_start(14);
    audited_at(&repository, "LATE", later).await;
    let ancient = Utc
        .with_ymd_and_hms(2001, 5, 3, 12, 0, 0)
        .single()
        .expect("a time");
    audited_at(&repository, "OLD", ancient).await;
    assert_eq!(
        rows(&mut connection, "campushub_audit_log_default").await,
        2
    );

    let created: Vec<String> = sqlx::query_scalar("SELECT campushub_audit_partitions(14)")
        .fetch_all(&mut connection)
        .await
        .expect("extend");
    assert_eq!(created, vec![partition(month_start(13)), partition(later)]);
    assert_eq!(
        rows(&mut connection, &partition(later)).await,
        1,
        "moved to its month"
    );
    assert_eq!(
        rows(&mut connection, "campushub_audit_log_default").await,
        1
    );

    // Retention up to the start of next month: this month's partition and the old row go.
    let dropped: Vec<String> = sqlx::query_scalar("SELECT campushub_audit_drop_before($1)")
        .bind(month_start(1))
        .fetch_all(&mut connection)
        .await
        .expect("retention");
    assert_eq!(dropped, vec![partition(month_start(0))]);
    assert_eq!(
        rows(&mut connection, "campushub_audit_log_default").await,
        0
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM campushub_audit_log")
        .fetch_one(&mut connection)
        .await
        .expect("count");
    assert_eq!(total, 1, "the later month's entry stays");
}
