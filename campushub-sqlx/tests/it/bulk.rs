//! Batch writes with per-row errors on both backends, and the 100,000-student seed on
//! Postgres (timed and printed, not asserted).

use campushub_core::BatchMode;
use std::time::Instant;

use campushub_core::query::Pagination;
use campushub_core::{Department, Error, ListQuery, ReadOptions, ReadRoute, Repository, Student};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use serde_json::json;
use uuid::Uuid;

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

async fn per_row_errors<B: Backend>(backend: B) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend);
    let me = department("ME");
    departments.insert(&me).await.expect("department");
    let taken = student("B000", Some(me.meta.id), json!({}));
    students.insert(&taken).await.expect("existing");

    let batch = vec![
        student("B001", Some(me.meta.id), json!({})),
        student("B002", None, json!({})),
        student("B001", None, json!({ "email": "other@uni.test" })), // repeats B001 in the batch
        student("B000", None, json!({ "email": "new@uni.test" })),   // roll number taken
        student("B003", Some(Uuid::now_v7()), json!({})),            // missing department
        student("B004", None, json!({})),
    ];
    let result = students
        .insert_many(&batch, BatchMode::EachRow)
        .await
        .expect("batch");
    let ok: Vec<bool> = result.rows.iter().map(Result::is_ok).collect();
    assert_eq!(ok, [true, true, false, false, false, true]);
    assert!(
        matches!(&result.rows[2], Err(Error::Conflict { field, .. }) if field == "roll_number")
    );
    assert!(
        matches!(&result.rows[3], Err(Error::Conflict { field, .. }) if field == "roll_number")
    );
    assert!(result.rows[4]
        .as_ref()
        .err()
        .and_then(Error::validation_errors)
        .is_some_and(|e| e.contains("department_id")));
    assert!(result.token.is_some());
    let query = ListQuery::new(students_schema());
    assert_eq!(students.count(&query, &primary()).await.expect("count"), 4);

    // Updates: one current, one stale, one missing.
    let mut current = batch[0].clone();
    let version = current.meta.version;
    current.program = "M.Tech".into();
    current.meta = current.meta.next();
    let mut stale = batch[1].clone();
    stale.meta = stale.meta.next();
    let ghost = student("B999", None, json!({}));
    let result = students
        .update_many(
            &[(current.clone(), version), (stale, 7), (ghost.clone(), 1)],
            BatchMode::EachRow,
        )
        .await
        .expect("update batch");
    assert!(result.rows[0].is_ok());
    assert!(
        matches!(
            result.rows[1],
            Err(Error::PreconditionFailed {
                expected: 7,
                actual: 1
            })
        ),
        "{:?}",
        result.rows[1]
    );
    assert!(matches!(result.rows[2], Err(Error::NotFound { .. })));
    let stored = students
        .get(current.meta.id, &primary())
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (stored.program.as_str(), stored.meta.version),
        ("M.Tech", version + 1)
    );

    // Deletes: one current, one stale.
    let result = students
        .delete_many(
            &[
                (batch[5].meta.id, batch[5].meta.version),
                (batch[1].meta.id, 9),
            ],
            BatchMode::EachRow,
        )
        .await
        .expect("delete batch");
    assert!(result.rows[0].is_ok());
    assert!(matches!(
        result.rows[1],
        Err(Error::PreconditionFailed {
            expected: 9,
            actual: 1
        })
    ));
    assert_eq!(students.count(&query, &primary()).await.expect("count"), 3);
}

fn students_schema() -> &'static campushub_core::Schema {
    <Student as campushub_core::Entity>::schema()
}

#[tokio::test]
async fn sqlite_bulk_writes_report_per_row_errors() {
    per_row_errors(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn pg_bulk_writes_report_per_row_errors() {
    let db = TestDb::shared().await;
    per_row_errors(db.primary_router().await).await;
}

/// Seeds `CAMPUSHUB_SEED_ROWS` (default 100,000) students on Postgres in one batch and reads
/// the first page ordered by `-created_at`; prints both timings.
#[tokio::test]
async fn pg_seed_many_students_then_first_page() {
    let rows: usize = std::env::var("CAMPUSHUB_SEED_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let departments = SqlRepository::<Department, _>::new(router.clone());
    let students = SqlRepository::<Student, _>::new(router);
    let depts: Vec<Department> = (0..10).map(|i| department(&format!("D{i}"))).collect();
    departments
        .insert_many(&depts, BatchMode::EachRow)
        .await
        .expect("departments");
    let batch: Vec<Student> = (0..rows)
        .map(|i| {
            student(
                &format!("S{i:06}"),
                Some(depts[i % 10].meta.id),
                json!({ "year_of_study": 1 + (i % 5) }),
            )
        })
        .collect();

    let started = Instant::now();
    let result = students
        .insert_many(&batch, BatchMode::EachRow)
        .await
        .expect("seed");
    let seeded = started.elapsed();
    assert!(result.rows.iter().all(Result::is_ok));

    let mut query = ListQuery::new(students_schema());
    query.pagination = Pagination::Cursor(None);
    let started = Instant::now();
    let page = students.list(&query, &primary()).await.expect("first page");
    let first_page = started.elapsed();
    assert_eq!(page.len(), 51, "a keyset page fetches page_size + 1 rows");
    assert!(page
        .windows(2)
        .all(|w| w[0].meta.created_at >= w[1].meta.created_at));
    assert!(page.iter().all(|s| s.department.is_some()));
    assert_eq!(
        students.count(&query, &primary()).await.expect("count"),
        rows as u64
    );
    println!(
        "seeded {rows} students in {seeded:?} ({:.0} rows/s); first page by -created_at in {first_page:?}",
        rows as f64 / seeded.as_secs_f64()
    );
}
