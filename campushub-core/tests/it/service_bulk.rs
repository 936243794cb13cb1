//! Bulk create, update and delete keyed by the natural key: per-row errors with the right
//! indexes (validation, in-request duplicates, store conflicts, unknown keys), counts, the
//! row cap, and one event per changed row.
#![cfg(feature = "memory")]

use campushub_core::service::{BulkReport, MAX_BULK_ROWS, NON_FIELD_ERRORS};
use campushub_core::ValidationErrors;
use campushub_core::{ChangeOp, Error, ReadOptions, Repository};
use serde_json::{json, Value};

use crate::support::service::{admin, definition_body, faculty_body, student_body, with, Campus};
use crate::support::{field_errors, only};

/// The errors of row `index` in `report`.
fn row(report: &BulkReport, index: usize) -> &ValidationErrors {
    let row = report.errors.iter().find(|row| row.index == index);
    &row.expect("a row error").errors
}

fn indexes(report: &BulkReport) -> Vec<usize> {
    report.errors.iter().map(|row| row.index).collect()
}

#[tokio::test]
async fn bulk_create_reports_every_kind_of_row_error_by_index() {
    let campus = Campus::new();
    campus.student("TAKEN").await;
    campus.events.clear();
    let rows = vec![
        student_body("B0"),                                        // ok
        with(student_body("B1"), "year_of_study", json!("two")),   // type error
        student_body("B0"),                                        // duplicate in request
        student_body("TAKEN"),                                     // store conflict
        json!("not an object"),                                    // not an object
        with(student_body("B5"), "semester", json!(42)),           // entity rule
        with(student_body("B6"), "email", json!("x@uni.example")), // ok
        with(student_body("B7"), "email", json!("X@uni.example")), // duplicate email
        student_body("B8"),                                        // ok
    ];
    let report = campus
        .students
        .bulk_create(&admin(), rows)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 3);
    assert_eq!(indexes(&report), [1, 2, 3, 4, 5, 7]);
    let errors = |i: usize| row(&report, i);
    assert!(errors(1).contains("year_of_study"));
    assert_eq!(
        only(errors(2), "roll_number"),
        "Duplicate of row 0 in this request."
    );
    assert!(
        errors(3).contains("roll_number"),
        "conflict on its field: {}",
        errors(3)
    );
    assert!(errors(4).contains(NON_FIELD_ERRORS));
    assert!(errors(5).contains("semester"));
    assert!(errors(7).contains("email"), "{}", errors(7));
    assert_eq!(report.token, Some(campus.store.token()));

    let events = campus.events.events();
    assert_eq!(events.len(), 3, "one event per created row");
    assert!(events
        .iter()
        .all(|e| e.op == ChangeOp::Created && e.token == report.token));
    let created = campus
        .store
        .repository::<campushub_core::Student>()
        .find_by_natural_keys(
            &["B0".into(), "B6".into(), "B8".into(), "B1".into()],
            &ReadOptions::default(),
        )
        .await
        .expect("read");
    assert_eq!(created.len(), 3);
}

#[tokio::test]
async fn bulk_create_with_only_bad_rows_writes_nothing() {
    let campus = Campus::new();
    let rows = vec![json!({}), json!(1)];
    let report = campus
        .students
        .bulk_create(&admin(), rows)
        .await
        .expect("report");
    assert_eq!((report.succeeded, indexes(&report)), (0, vec![0, 1]));
    assert_eq!(report.token, None);
    assert_eq!(campus.store.token().position(), 0);
    assert!(campus.events.events().is_empty());
}

#[tokio::test]
async fn bulk_update_patches_rows_by_key() {
    let campus = Campus::new();
    for roll in ["U0", "U1", "U2"] {
        campus.student(roll).await;
    }
    let before = campus.student("U3").await;
    campus.events.clear();
    let rows = vec![
        json!({"roll_number": "U0", "semester": 2}),   // ok
        json!({"roll_number": "NOPE", "semester": 2}), // unknown key
        json!({"semester": 2}),                        // no key
        json!({"roll_number": "U1", "semester": "x"}), // type error
        json!({"roll_number": "U0", "semester": 3}),   // duplicate key
        json!({"roll_number": "U2", "city": "Pune", "id": "ignored"}), // ok, read-only ignored
        json!({"roll_number": "U3", "shoe": 44}),      // unknown field
        json!({"roll_number": "U1", "year_of_study": 7}), // duplicate key (row 3 failed)
    ];
    let report = campus
        .students
        .bulk_update(&admin(), rows)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 2, "{:?}", report.errors);
    assert_eq!(indexes(&report), [1, 2, 3, 4, 6, 7]);
    let errors = |i: usize| row(&report, i);
    assert!(errors(1)
        .get("roll_number")
        .is_some_and(|m| m[0].contains("NOPE")));
    assert_eq!(only(errors(2), "roll_number"), "This field is required.");
    assert!(errors(3).contains("semester"));
    assert!(errors(4).contains("roll_number"));
    assert!(errors(6).contains("shoe"));
    assert!(errors(7).contains("roll_number"));

    let repo = campus.store.repository::<campushub_core::Student>();
    let read = ReadOptions::default();
    let u0 = repo
        .find_by_natural_key("U0", &read)
        .await
        .expect("read")
        .expect("U0");
    assert_eq!((u0.semester, u0.meta.version), (2, 2));
    let u2 = repo
        .find_by_natural_key("U2", &read)
        .await
        .expect("read")
        .expect("U2");
    assert_eq!(u2.person.city.as_deref(), Some("Pune"));
    let u3 = repo
        .get(before.meta.id, &read)
        .await
        .expect("read")
        .expect("U3");
    assert_eq!(u3.meta.version, 1, "a refused row is untouched");

    let events = campus.events.events();
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|e| e.op == ChangeOp::Updated && e.version == 2));
}

#[tokio::test]
async fn bulk_update_reports_store_conflicts_on_their_row() {
    let campus = Campus::new();
    let body = with(student_body("C0"), "email", json!("c0@uni.example"));
    campus
        .students
        .create_json(&admin(), body)
        .await
        .expect("created");
    campus.student("C1").await;
    campus.student("C2").await;
    let rows = vec![
        json!({"roll_number": "C1", "email": "c0@uni.example"}), // taken in the store
        json!({"roll_number": "C2", "email": "c2@uni.example"}),
    ];
    let report = campus
        .students
        .bulk_update(&admin(), rows)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 1);
    assert_eq!(indexes(&report), [0]);
    assert!(report.errors[0].errors.contains("email"));
}

#[tokio::test]
async fn bulk_delete_removes_rows_by_key() {
    let campus = Campus::new();
    campus.student("D0").await;
    campus.student("D1").await;
    campus.events.clear();
    let keys = vec![
        "D0".to_owned(),
        "D9".to_owned(),
        "D1".to_owned(),
        "D0".to_owned(),
    ];
    let report = campus
        .students
        .bulk_delete(&admin(), keys)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 2);
    assert_eq!(indexes(&report), [1, 3]);
    assert!(report
        .errors
        .iter()
        .all(|row| row.errors.contains("roll_number")));
    let events = campus.events.events();
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|e| e.op == ChangeOp::Deleted && e.version == 2));
    let repo = campus.store.repository::<campushub_core::Student>();
    let left = repo
        .find_by_natural_keys(&["D0".into(), "D1".into()], &ReadOptions::default())
        .await
        .expect("read");
    assert!(left.is_empty());
}

#[tokio::test]
async fn bulk_delete_of_a_referenced_department_is_a_row_conflict() {
    let campus = Campus::new();
    let cse = campus.department("CSE").await;
    campus.department("EEE").await;
    let body = with(student_body("S1"), "department_id", json!(cse.meta.id));
    campus
        .students
        .create_json(&admin(), body)
        .await
        .expect("created");
    let report = campus
        .departments
        .bulk_delete(&admin(), vec!["CSE".into(), "EEE".into()])
        .await
        .expect("report");
    assert_eq!(report.succeeded, 1);
    assert_eq!(indexes(&report), [0]);
}

#[tokio::test]
async fn bulk_works_for_faculty_keyed_by_employee_id() {
    let campus = Campus::new();
    let rows = vec![faculty_body("E1"), faculty_body("E1"), faculty_body("E2")];
    let report = campus
        .faculty
        .bulk_create(&admin(), rows)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 2);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].errors.contains("employee_id"));
}

#[tokio::test]
async fn rows_are_capped() {
    let campus = Campus::new();
    let rows = vec![json!({}); MAX_BULK_ROWS + 1];
    let errors = field_errors(campus.students.bulk_create(&admin(), rows.clone()).await);
    assert!(errors.contains("rows"));
    let errors = field_errors(campus.students.bulk_update(&admin(), rows).await);
    assert!(errors.contains("rows"));
    let keys = vec![String::new(); MAX_BULK_ROWS + 1];
    let errors = field_errors(campus.students.bulk_delete(&admin(), keys).await);
    assert!(errors.contains("rows"));
    assert_eq!(campus.store.token().position(), 0);
}

#[tokio::test]
async fn kinds_without_a_natural_key_have_no_bulk_operations() {
    let campus = Campus::new();
    let rows: Vec<Value> = vec![definition_body("student", "x", "text")];
    let outcome = campus.definitions.bulk_create(&admin(), rows).await;
    assert!(matches!(outcome, Err(Error::Validation(_))), "{outcome:?}");
    assert!(campus.events.events().is_empty());
}
