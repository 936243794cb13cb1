//! Batch modes on both backends: an all-or-nothing batch in which a row fails writes nothing
//! and names the row; each-row writes the others. Failures found only by the database inside
//! the batch's transaction (a unique value taken, a record still referenced, a version moved)
//! keep their cause. And on Postgres, a connection lost in the middle of a batch fails the
//! call and leaves nothing written, in either mode.

use std::time::{Duration, Instant};

use campushub_core::repository::BulkWritten;
use campushub_core::{
    BatchMode, Department, Error, ListQuery, ReadOptions, ReadRoute, Repository, Student,
};
use campushub_sqlx::{Backend, PgRouter, SqlRepository, SqliteStore};
use serde_json::json;
use sqlx::{Connection, PgConnection, Row};

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

async fn count<B: Backend>(students: &SqlRepository<Student, B>) -> u64 {
    let query = ListQuery::new(<Student as campushub_core::Entity>::schema());
    students.count(&query, &primary()).await.expect("count")
}

async fn stored<B: Backend>(students: &SqlRepository<Student, B>, of: &Student) -> Student {
    students
        .get(of.meta.id, &primary())
        .await
        .expect("read")
        .expect("stored")
}

/// The rows an outcome reports failed.
fn failed(written: &BulkWritten) -> Vec<usize> {
    (0..written.rows.len())
        .filter(|i| written.rows[*i].is_err())
        .collect()
}

/// `student` with `email` and the next version, as an update sends it.
fn with_email(student: &Student, email: &str) -> (Student, i64) {
    let mut next = student.clone();
    next.person.email = Some(email.to_owned());
    next.meta.version += 1;
    (next, student.meta.version)
}

async fn modes<B: Backend>(backend: B) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend);
    let cse = department("CSE");
    departments.insert(&cse).await.expect("department");
    let taken = student("A000", Some(cse.meta.id), json!({}));
    students.insert(&taken).await.expect("existing");

    // Insert: a roll number taken (found by the pre-check).
    let batch = vec![
        student("A001", None, json!({})),
        student("A000", None, json!({ "email": "x@uni.test" })),
        student("A002", None, json!({})),
    ];
    let written = students
        .insert_many(&batch, BatchMode::AllOrNothing)
        .await
        .expect("a batch");
    assert!(written.rolled_back);
    assert_eq!(failed(&written), [1]);
    assert!(written.token.is_none());
    assert_eq!(count(&students).await, 1, "nothing written");

    // Update: an email another record holds, which only the database sees (updates have no
    // pre-check): the batch statement fails, and the rows go one by one under savepoints.
    let a = student("A010", None, json!({}));
    let b = student("A011", None, json!({}));
    students
        .insert_many(&[a.clone(), b.clone()], BatchMode::AllOrNothing)
        .await
        .expect("two more");
    let updates = [
        with_email(&a, "a010-new@uni.test"),
        with_email(&b, "a000@uni.test"),
    ];
    let written = students
        .update_many(&updates, BatchMode::AllOrNothing)
        .await
        .expect("a batch");
    assert!(written.rolled_back);
    assert_eq!(failed(&written), [1]);
    assert!(
        matches!(&written.rows[1], Err(Error::Conflict { field, .. }) if field == "email"),
        "{:?}",
        written.rows[1]
    );
    assert_eq!(stored(&students, &a).await.meta.version, a.meta.version);
    let written = students
        .update_many(&updates, BatchMode::EachRow)
        .await
        .expect("a batch");
    assert!(!written.rolled_back);
    assert_eq!(failed(&written), [1]);
    assert!(written.token.is_some());
    let a_now = stored(&students, &a).await;
    assert_eq!(a_now.person.email.as_deref(), Some("a010-new@uni.test"));

    // Update: a version that moved.
    let updates = [
        with_email(&a_now, "again@uni.test"),
        with_email(&b, "b@uni.test"),
    ];
    let stale = (updates[1].0.clone(), b.meta.version + 5);
    let written = students
        .update_many(&[updates[0].clone(), stale], BatchMode::AllOrNothing)
        .await
        .expect("a batch");
    assert!(written.rolled_back);
    assert!(matches!(
        &written.rows[1],
        Err(Error::PreconditionFailed { .. })
    ));
    assert_eq!(
        stored(&students, &a).await.person.email.as_deref(),
        Some("a010-new@uni.test")
    );

    // Delete: a department still referenced, which only the database sees.
    let spare = department("SPARE");
    departments.insert(&spare).await.expect("department");
    let doomed = [
        (spare.meta.id, spare.meta.version),
        (cse.meta.id, cse.meta.version),
    ];
    let written = departments
        .delete_many(&doomed, BatchMode::AllOrNothing)
        .await
        .expect("a batch");
    assert!(written.rolled_back);
    assert_eq!(failed(&written), [1]);
    assert!(matches!(&written.rows[1], Err(Error::Conflict { .. })));
    assert!(departments
        .get(spare.meta.id, &primary())
        .await
        .expect("read")
        .is_some());
    let written = departments
        .delete_many(&doomed, BatchMode::EachRow)
        .await
        .expect("a batch");
    assert_eq!(failed(&written), [1]);
    assert!(departments
        .get(spare.meta.id, &primary())
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn sqlite_batches_are_all_or_nothing_or_each_row() {
    modes(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn pg_batches_are_all_or_nothing_or_each_row() {
    let db = TestDb::shared().await;
    modes(db.primary_router().await).await;
}

/// Waits until a backend of the test database waits on a lock; its pid.
async fn waiting_backend(admin: &mut PgConnection, database: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = sqlx::query(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        )
        .bind(database)
        .fetch_optional(&mut *admin)
        .await
        .expect("pg_stat_activity");
        if let Some(row) = row {
            return row.get(0);
        }
        assert!(Instant::now() < deadline, "the batch never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A batch whose connection dies while it runs: the call fails as unavailable (a 503 over
/// HTTP) and none of its rows is written, whatever the mode. The batch is held at a known
/// point: another transaction holds the students table in `EXCLUSIVE` mode (reads pass,
/// writes wait), so the batch's insert waits on that lock until its backend is terminated.
#[tokio::test]
async fn a_connection_lost_mid_batch_fails_the_call_and_writes_nothing() {
    let db = TestDb::shared().await;
    let database = db.primary.rsplit('/').next().unwrap_or_default().to_owned();
    let admin_url = std::env::var("CAMPUSHUB_TEST_PG_PRIMARY").expect("the test services");
    let router: PgRouter = db.primary_router().await;
    let students = SqlRepository::<Student, _>::new(router);
    for (round, mode) in [BatchMode::AllOrNothing, BatchMode::EachRow]
        .into_iter()
        .enumerate()
    {
        let mut blocker = PgConnection::connect(&db.primary).await.expect("connect");
        let mut tx = blocker.begin().await.expect("begin");
        sqlx::query("LOCK TABLE students IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .expect("lock");
        let batch: Vec<Student> = (0..50)
            .map(|i| student(&format!("L{round}-{i:03}"), None, json!({})))
            .collect();
        let writer = tokio::spawn({
            let students = students.clone();
            async move { students.insert_many(&batch, mode).await }
        });
        let mut admin = PgConnection::connect(&admin_url).await.expect("admin");
        let pid = waiting_backend(&mut admin, &database).await;
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&mut admin)
            .await
            .expect("terminate");
        // Released before the batch's outcome is awaited: a batch that carried on after
        // losing its connection would get to write now.
        tx.rollback().await.expect("rollback");
        let outcome = writer.await.expect("the batch task");
        match outcome {
            Err(Error::Unavailable { .. }) => {}
            other => panic!("{mode:?}: expected unavailable, got {other:?}"),
        }
        assert_eq!(count(&students).await, 0, "{mode:?}: nothing written");
    }
}
