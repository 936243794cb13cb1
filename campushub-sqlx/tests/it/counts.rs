//! The N+1 guarantee as a test: retrieve = 1 statement, a list page = 2 whatever the page
//! size, a page-number page + its count = 3, a bounded count 1.

use campushub_core::query::Pagination;
use campushub_core::BatchMode;
use campushub_core::{Department, Entity, ListQuery, ReadOptions, Repository, Student};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore, StatementCounter};
use serde_json::json;

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

/// 7 departments and 250 students; returns the students and the last commit's read options.
async fn seed<B: Backend>(backend: B) -> (Vec<Student>, ReadOptions) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend);
    let depts: Vec<Department> = (0..7).map(|i| department(&format!("C{i}"))).collect();
    departments
        .insert_many(&depts, BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let rows: Vec<Student> = (0..250)
        .map(|i| student(&format!("N{i:03}"), Some(depts[i % 7].meta.id), json!({})))
        .collect();
    let written = students
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("students");
    (rows, ReadOptions::after(written.token))
}

async fn statement_counts<B: Backend>(backend: B, rows: Vec<Student>, read: ReadOptions) {
    let students = SqlRepository::<Student, B>::new(backend);

    let (found, counts) = StatementCounter::scope(students.get(rows[3].meta.id, &read)).await;
    assert!(found.expect("get").expect("found").department.is_some());
    assert_eq!(counts.total(), 1, "retrieve = 1 statement: {counts:?}");

    for page_size in [10, 200] {
        let mut query = ListQuery::new(Student::schema());
        query.page_size = page_size;
        let (page, counts) = StatementCounter::scope(students.list(&query, &read)).await;
        let page = page.expect("list");
        assert_eq!(page.len(), page_size as usize + 1);
        assert!(
            page.iter().all(|s| s.department.is_some()),
            "every row carries its department"
        );
        assert_eq!(
            counts.total(),
            2,
            "list of {page_size} = 2 statements: {counts:?}"
        );
    }

    let mut query = ListQuery::new(Student::schema());
    query.page_size = 50;
    query.pagination = Pagination::Number(2);
    let ((page, count), counts) = StatementCounter::scope(async {
        (
            students.list(&query, &read).await,
            students.count(&query, &read).await,
        )
    })
    .await;
    // 51 rows: the page and the one after it, which says a next page exists.
    assert_eq!(
        (page.expect("page").len(), count.expect("count")),
        (51, 250)
    );
    assert_eq!(
        counts.total(),
        3,
        "page-number page = 3 statements: {counts:?}"
    );

    // A bounded count is one statement too, exact below its bound and clamped above it.
    let (bounded, counts) = StatementCounter::scope(async {
        (
            students.count_at_most(&query, 101, &read).await,
            students.count_at_most(&query, 1000, &read).await,
        )
    })
    .await;
    assert_eq!(
        (bounded.0.expect("capped"), bounded.1.expect("exact")),
        (101, 250)
    );
    assert_eq!(
        counts.total(),
        2,
        "one statement per bounded count: {counts:?}"
    );
}

#[tokio::test]
async fn sqlite_statement_counts() {
    let store = SqliteStore::memory().await.expect("sqlite");
    let (rows, read) = seed(store.clone()).await;
    statement_counts(store, rows, read).await;
}

#[tokio::test]
async fn pg_statement_counts_through_the_replica() {
    let db = TestDb::shared().await;
    let router = db.router(|c| c).await;
    let (rows, read) = seed(router.clone()).await;
    // Let the replica catch up and be measured, so token reads need no re-check.
    db.sync().await;
    router.check_health().await;
    statement_counts(router.clone(), rows, read).await;
    let replica = router.pool("replica-0").expect("replica stats");
    assert!(
        replica.reads > 0,
        "token reads were served by the caught-up replica: {replica:?}"
    );
}
