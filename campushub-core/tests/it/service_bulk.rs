//! Bulk create, update and delete keyed by the natural key: a row without the declared shape
//! refuses the whole request; per-row errors with the right indexes for the rest (rules,
//! in-request duplicates, store conflicts, unknown keys, missing references), counts, the
//! row cap, and one event per changed row.
#![cfg(feature = "memory")]

use campushub_core::service::{BulkReport, MAX_BULK_ROWS};
use campushub_core::BatchMode;
use campushub_core::ValidationErrors;
use campushub_core::{ChangeOp, Error, ReadOptions, Repository};
use serde_json::{json, Value};
use uuid::Uuid;

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
async fn bulk_create_reports_every_row_that_breaks_a_rule_by_index() {
    let campus = Campus::new();
    campus.student("TAKEN").await;
    campus.events.clear();
    let rows = vec![
        student_body("B0"),                                               // ok
        with(student_body("B1"), "date_of_birth", json!("2999-01-01")),   // entity rule
        student_body("B0"),                                               // duplicate in request
        student_body("TAKEN"),                                            // store conflict
        with(student_body("B6"), "email", json!("x@uni.example")),        // ok
        with(student_body("B7"), "email", json!("X@uni.example")),        // duplicate email
        with(student_body("B8"), "department_id", json!(Uuid::now_v7())), // missing reference
        student_body("B9"),                                               // ok
    ];
    let report = campus
        .students
        .bulk_create(&admin(), rows, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 3);
    assert_eq!(indexes(&report), [1, 2, 3, 5, 6]);
    let errors = |i: usize| row(&report, i);
    assert!(errors(1).contains("date_of_birth"));
    assert_eq!(
        only(errors(2), "roll_number"),
        "Duplicate of row 0 in this request."
    );
    assert!(
        errors(3).contains("roll_number"),
        "conflict on its field: {}",
        errors(3)
    );
    assert!(errors(5).contains("email"), "{}", errors(5));
    assert!(errors(6).contains("department_id"), "{}", errors(6));
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
            &["B0".into(), "B4".into(), "B9".into(), "B1".into()],
            &ReadOptions::default(),
        )
        .await
        .expect("read");
    assert_eq!(created.len(), 2);
}

/// A row without the declared shape (a wrong type, a value out of its declared range, not an
/// object, an unknown field) refuses the whole request, naming each such field by row, and
/// writes nothing, not even the good rows.
#[tokio::test]
async fn a_bulk_create_with_a_row_of_the_wrong_shape_writes_nothing() {
    let campus = Campus::new();
    let rows = vec![
        student_body("B0"),                                      // ok
        with(student_body("B1"), "year_of_study", json!("two")), // type error
        json!("not an object"),                                  // not an object
        with(student_body("B3"), "semester", json!(42)),         // out of the declared range
        with(student_body("B4"), "shoe", json!(44)),             // unknown field
        json!({}),                                               // required fields missing
    ];
    let errors = field_errors(
        campus
            .students
            .bulk_create(&admin(), rows, BatchMode::EachRow)
            .await,
    );
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
    for expected in [
        "rows[1].year_of_study",
        "rows[2].non_field_errors",
        "rows[3].semester",
        "rows[4].shoe",
        "rows[5].roll_number",
    ] {
        assert!(fields.contains(&expected), "{expected}: {errors}");
    }
    assert!(!fields.iter().any(|f| f.starts_with("rows[0]")), "{errors}");
    assert_eq!(campus.store.token().position(), 0, "nothing written");
    assert!(campus.events.events().is_empty());
}

#[tokio::test]
async fn a_bulk_update_with_a_row_of_the_wrong_shape_writes_nothing() {
    let campus = Campus::new();
    let student = campus.student("U0").await;
    let written = campus.store.token();
    let rows = vec![
        json!({"roll_number": "U0", "semester": 2}),      // ok
        json!({"semester": 2}),                           // no key
        json!({"roll_number": "U0", "semester": "x"}),    // type error
        json!({"roll_number": "NOPE", "shoe": 44}),       // unknown field (and key)
        json!({"roll_number": "U0", "year_of_study": 7}), // out of the declared range
        json!({"roll_number": "U0", "first_name": null}), // removes a required field
        json!({"roll_number": 7}),                        // a key that is not a string
    ];
    let errors = field_errors(
        campus
            .students
            .bulk_update(&admin(), rows, BatchMode::EachRow)
            .await,
    );
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
    assert_eq!(
        fields,
        [
            "rows[1].roll_number",
            "rows[2].semester",
            "rows[3].shoe",
            "rows[4].year_of_study",
            "rows[5].first_name",
            "rows[6].roll_number"
        ],
        "{errors}"
    );
    assert_eq!(campus.store.token(), written, "nothing written");
    let stored = campus
        .store
        .repository::<campushub_core::Student>()
        .get(student.meta.id, &ReadOptions::default())
        .await
        .expect("read")
        .expect("U0");
    assert_eq!(stored.meta.version, 1);
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
        json!({"roll_number": "U3", "date_of_birth": "2999-01-01"}), // entity rule
        json!({"roll_number": "U0", "semester": 3}),   // duplicate key
        json!({"roll_number": "U2", "city": "Pune", "id": "ignored"}), // ok, read-only ignored
    ];
    let report = campus
        .students
        .bulk_update(&admin(), rows, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 2, "{:?}", report.errors);
    assert_eq!(indexes(&report), [1, 2, 3]);
    let errors = |i: usize| row(&report, i);
    assert!(errors(1)
        .get("roll_number")
        .is_some_and(|m| m[0].contains("NOPE")));
    assert!(errors(2).contains("date_of_birth"));
    assert!(errors(3).contains("roll_number"));

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
        .bulk_update(&admin(), rows, BatchMode::EachRow)
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
        .bulk_delete(&admin(), keys, BatchMode::EachRow)
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
        .bulk_delete(
            &admin(),
            vec!["CSE".into(), "EEE".into()],
            BatchMode::EachRow,
        )
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
        .bulk_create(&admin(), rows, BatchMode::EachRow)
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
    let errors = field_errors(
        campus
            .students
            .bulk_create(&admin(), rows.clone(), BatchMode::EachRow)
            .await,
    );
    assert!(errors.contains("rows"));
    let errors = field_errors(
        campus
            .students
            .bulk_update(&admin(), rows, BatchMode::EachRow)
            .await,
    );
    assert!(errors.contains("rows"));
    let keys = vec![String::new(); MAX_BULK_ROWS + 1];
    let errors = field_errors(
        campus
            .students
            .bulk_delete(&admin(), keys, BatchMode::EachRow)
            .await,
    );
    assert!(errors.contains("rows"));
    assert_eq!(campus.store.token().position(), 0);
}

#[tokio::test]
async fn kinds_without_a_natural_key_have_no_bulk_operations() {
    let campus = Campus::new();
    let rows: Vec<Value> = vec![definition_body("student", "x", "text")];
    let outcome = campus
        .definitions
        .bulk_create(&admin(), rows, BatchMode::EachRow)
        .await;
    assert!(matches!(outcome, Err(Error::Validation(_))), "{outcome:?}");
    assert!(campus.events.events().is_empty());
}

/// The number of students stored.
async fn stored_students(campus: &Campus) -> usize {
    let query = campushub_core::ListQuery::new(
        <campushub_core::Student as campushub_core::Entity>::schema(),
    );
    let count = campus
        .store
        .repository::<campushub_core::Student>()
        .count(&query, &ReadOptions::default())
        .await
        .expect("count");
    usize::try_from(count).expect("a count")
}

#[tokio::test]
async fn all_or_nothing_writes_no_row_when_one_breaks_a_rule_or_is_refused_by_the_store() {
    let campus = Campus::new();
    campus.student("TAKEN").await;
    campus.events.clear();
    // A rule the service checks: the store is never asked.
    let rows = vec![
        student_body("A0"),
        with(student_body("A1"), "date_of_birth", json!("2999-01-01")),
        student_body("A2"),
    ];
    let report = campus
        .students
        .bulk_create(&admin(), rows, BatchMode::AllOrNothing)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 0);
    assert_eq!(indexes(&report), [1]);
    assert!(report.token.is_none());
    // A refusal only the store makes (the roll number is taken): rows before it were
    // applied, and are undone.
    let rows = vec![
        student_body("A0"),
        student_body("A2"),
        student_body("TAKEN"),
    ];
    let report = campus
        .students
        .bulk_create(&admin(), rows, BatchMode::AllOrNothing)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 0);
    assert_eq!(indexes(&report), [2]);
    assert!(row(&report, 2).contains("roll_number"));
    assert_eq!(stored_students(&campus).await, 1, "only TAKEN");
    assert!(campus.events.events().is_empty(), "nothing announced");
    // The same rows, each on its own.
    let rows = vec![
        student_body("A0"),
        student_body("A2"),
        student_body("TAKEN"),
    ];
    let report = campus
        .students
        .bulk_create(&admin(), rows, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 2);
    assert_eq!(stored_students(&campus).await, 3);
}

#[tokio::test]
async fn all_or_nothing_updates_and_deletes_are_undone_whole() {
    let campus = Campus::new();
    for roll in ["U0", "U1", "U2"] {
        campus.student(roll).await;
    }
    campus
        .student_from(with(student_body("X"), "email", json!("x@uni.example")))
        .await;
    // Row 1 takes X's email, which only the store sees (X is not in the request): rows 0 and
    // 2 were applied before the store refused it, and are undone.
    let updates = vec![
        json!({"roll_number": "U0", "semester": 3}),
        json!({"roll_number": "U1", "email": "x@uni.example"}),
        json!({"roll_number": "U2", "semester": 4}),
    ];
    let report = campus
        .students
        .bulk_update(&admin(), updates, BatchMode::AllOrNothing)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 0, "{:?}", report.errors);
    assert_eq!(indexes(&report), [1]);
    let u0 = campus
        .students
        .bulk_delete(
            &admin(),
            vec!["U0".into(), "NOPE".into()],
            BatchMode::AllOrNothing,
        )
        .await
        .expect("report");
    assert_eq!(u0.succeeded, 0);
    assert_eq!(indexes(&u0), [1]);
    assert_eq!(stored_students(&campus).await, 4, "U0 not deleted");
    let page = campus
        .store
        .repository::<campushub_core::Student>()
        .find_by_natural_key("U0", &ReadOptions::default())
        .await
        .expect("read")
        .expect("U0");
    assert_eq!(page.semester, 1, "U0's update undone");
}
