//! Grouped counts and campus analytics as single statements on the analytics route.

use campushub_core::Analytics;
use campushub_core::BatchMode;
use campushub_core::{
    Department, Entity, Faculty, ListQuery, ReadOptions, Repository, Scalar, Student,
};
use campushub_sqlx::{Backend, SqlAnalytics, SqlRepository, SqliteStore, StatementCounter};
use serde_json::json;

use crate::support::fixtures::{department, faculty, student};
use crate::support::pgdb::TestDb;

/// Two departments; CSE has 3 students (2 F active, 1 M graduated) and 2 faculty, ECE has 1
/// student and none.
async fn seed<B: Backend>(backend: &B) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend.clone());
    let staff = SqlRepository::<Faculty, B>::new(backend.clone());
    let (cse, ece) = (department("CSE"), department("ECE"));
    departments
        .insert_many(&[cse.clone(), ece.clone()], BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let rows = vec![
        student("A1", Some(cse.meta.id), json!({})),
        student("A2", Some(cse.meta.id), json!({})),
        student(
            "A3",
            Some(cse.meta.id),
            json!({ "gender": "M", "status": "GRADUATED" }),
        ),
        student("A4", Some(ece.meta.id), json!({ "gender": "O" })),
    ];
    assert!(students
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("students")
        .rows
        .iter()
        .all(Result::is_ok));
    let members = [
        faculty("F1", Some(cse.meta.id)),
        faculty("F2", Some(cse.meta.id)),
    ];
    assert!(staff
        .insert_many(&members, BatchMode::AllOrNothing)
        .await
        .expect("faculty")
        .rows
        .iter()
        .all(Result::is_ok));
}

async fn check<B: Backend>(backend: B) {
    let read = ReadOptions::default();
    let students = SqlRepository::<Student, B>::new(backend.clone());
    let query = ListQuery::new(Student::schema());
    let (counts, statements) =
        StatementCounter::scope(students.group_counts(&query, &["status", "gender"], &read)).await;
    let counts = counts.expect("group counts");
    assert_eq!(statements.total(), 1, "grouped counts are one statement");
    assert_eq!(counts.total, 4);
    assert_eq!(counts.groups[0].0, "status");
    assert_eq!(
        counts.groups[0].1,
        vec![
            (Some(Scalar::from("ACTIVE")), 3),
            (Some(Scalar::from("GRADUATED")), 1)
        ]
    );
    assert_eq!(
        counts.groups[1].1,
        vec![
            (Some(Scalar::from("F")), 2),
            (Some(Scalar::from("M")), 1),
            (Some(Scalar::from("O")), 1)
        ]
    );

    let analytics = SqlAnalytics::new(backend);
    let (summary, statements) = StatementCounter::scope(analytics.summary(&read)).await;
    let summary = summary.expect("summary");
    assert_eq!(statements.total(), 1);
    assert_eq!(
        (
            summary.students_total,
            summary.students_active,
            summary.faculty_total,
            summary.faculty_active,
            summary.departments
        ),
        (4, 3, 2, 2, 2)
    );
    assert_eq!(summary.student_faculty_ratio, Some(1.5));

    let (departments, statements) = StatementCounter::scope(analytics.departments(&read)).await;
    let departments = departments.expect("departments");
    assert_eq!(statements.total(), 1);
    let cse = &departments[0];
    assert_eq!(
        (
            cse.code.as_str(),
            cse.students,
            cse.faculty,
            cse.student_faculty_ratio
        ),
        ("CSE", 3, 2, Some(1.5))
    );
    assert_eq!(
        cse.students_by_gender,
        [("F".into(), 2), ("M".into(), 1), ("O".into(), 0)].into()
    );
    let ece = &departments[1];
    assert_eq!(
        (ece.students, ece.faculty, ece.student_faculty_ratio),
        (1, 0, None)
    );
}

#[tokio::test]
async fn sqlite_group_counts_and_analytics() {
    let store = SqliteStore::memory().await.expect("sqlite");
    seed(&store).await;
    check(store).await;
}

#[tokio::test]
async fn pg_group_counts_and_analytics_on_the_analytics_pool() {
    let db = TestDb::shared().await;
    let router = db.router(|c| c.with_analytics(db.replica.clone())).await;
    seed(&router).await;
    db.sync().await;
    check(router.clone()).await;
    let analytics = router.pool("analytics").expect("analytics pool");
    assert_eq!(
        analytics.reads, 3,
        "every aggregate ran on the analytics pool: {analytics:?}"
    );
}
