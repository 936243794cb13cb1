//! Create, retrieve, update (PUT), partial update (merge patch) and destroy through the
//! service: validation, unknown and read-only body fields, versions and preconditions.
#![cfg(feature = "memory")]

use std::sync::Arc;

use campushub_core::service::NON_FIELD_ERRORS;
use campushub_core::{Entity, Error, ReadOptions, Student};
use serde_json::{json, Map, Value};

use crate::support::service::{admin, registrar, student_body, with, Campus};
use crate::support::{field_errors, only};

fn patch(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn create_then_retrieve_returns_the_record_and_its_json() {
    let campus = Campus::new();
    let saved = campus
        .students
        .create_json(&registrar(), student_body("R1"))
        .await
        .expect("created");
    assert_eq!(saved.record.meta.version, 1);
    assert_eq!(
        saved.record.audit.created_by.as_deref(),
        Some("registrar-user")
    );
    assert_eq!(saved.token, Some(campus.store.token()));
    let fetched = campus
        .students
        .retrieve(&registrar(), saved.record.meta.id, &ReadOptions::default())
        .await
        .expect("found");
    assert_eq!(fetched.version(), 1);
    let json: Value = serde_json::from_slice(fetched.json()).expect("json");
    assert_eq!(json["roll_number"], "R1");
    assert_eq!(json["id"], saved.record.meta.id.to_string());
    assert_eq!(fetched.value().expect("decoded").roll_number, "R1");
}

#[tokio::test]
async fn retrieve_of_an_unknown_id_is_not_found() {
    let campus = Campus::new();
    let outcome = campus
        .students
        .retrieve(&admin(), uuid::Uuid::now_v7(), &ReadOptions::default())
        .await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn type_errors_and_missing_fields_name_the_field() {
    let campus = Campus::new();
    let bad_year = with(student_body("R1"), "year_of_study", json!("x"));
    let errors = field_errors(campus.students.create_json(&admin(), bad_year).await);
    assert_eq!(
        only(&errors, "year_of_study"),
        r#"invalid type: string "x", expected i32"#
    );
    let mut missing = student_body("R1");
    missing.as_object_mut().map(|body| body.remove("program"));
    let errors = field_errors(campus.students.create_json(&admin(), missing).await);
    assert_eq!(only(&errors, "program"), "This field is required.");
    let errors = field_errors(campus.students.create_json(&admin(), json!([1, 2])).await);
    assert!(errors.contains(NON_FIELD_ERRORS));
    assert_eq!(campus.store.token().position(), 0, "nothing was written");
}

#[tokio::test]
async fn entity_rules_are_enforced_on_create() {
    let campus = Campus::new();
    let body = with(student_body("R1"), "year_of_study", json!(9));
    let body = with(body, "email", json!("not-an-email"));
    let errors = field_errors(campus.students.create_json(&admin(), body).await);
    assert!(
        errors.contains("year_of_study") && errors.contains("email"),
        "{errors}"
    );
}

#[tokio::test]
async fn unknown_body_fields_are_errors_and_read_only_ones_are_ignored() {
    let campus = Campus::new();
    let body = with(student_body("R1"), "favourite_colour", json!("blue"));
    let errors = field_errors(campus.students.create_json(&admin(), body).await);
    assert_eq!(only(&errors, "favourite_colour"), "Unknown field.");

    let student = campus.student("R2").await;
    // PUT back exactly what was read, metadata and audit fields included.
    let mut read_back = serde_json::to_value(&student).expect("json");
    read_back["program"] = json!("M.Tech");
    read_back["version"] = json!(999);
    read_back["created_by"] = json!("forged");
    let saved = campus
        .students
        .update_json(&admin(), student.meta.id, read_back, None)
        .await
        .expect("read-only fields are ignored");
    assert_eq!(saved.record.program, "M.Tech");
    assert_eq!(saved.record.meta.version, 2);
    assert_eq!(saved.record.audit.created_by, student.audit.created_by);
}

#[tokio::test]
async fn put_replaces_every_writable_field() {
    let campus = Campus::new();
    let body = with(student_body("R1"), "city", json!("Pune"));
    let student = campus.student_from(body).await;
    let saved = campus
        .students
        .update_json(&admin(), student.meta.id, student_body("R1"), None)
        .await
        .expect("updated");
    assert_eq!(
        saved.record.person.city, None,
        "a PUT without a field clears it"
    );
    assert_eq!(saved.record.meta.created_at, student.meta.created_at);
    assert!(saved.record.meta.updated_at >= student.meta.updated_at);
    assert_eq!(saved.record.audit.updated_by.as_deref(), Some("admin-user"));
}

#[tokio::test]
async fn patch_is_a_json_merge_patch() {
    let campus = Campus::new();
    let body = with(student_body("R1"), "city", json!("Pune"));
    let body = with(body, "mobile", json!("+919876543210"));
    let student = campus.student_from(body).await;
    let saved = campus
        .patch_student(
            student.meta.id,
            json!({"semester": 3, "city": null, "version": 12}),
        )
        .await
        .expect("patched");
    assert_eq!(saved.record.semester, 3);
    assert_eq!(saved.record.person.city, None, "null deletes");
    assert_eq!(
        saved.record.person.mobile.as_deref(),
        Some("+919876543210"),
        "kept"
    );
    assert_eq!(saved.record.roll_number, "R1");

    let errors = field_errors(
        campus
            .patch_student(student.meta.id, json!({"roll_number": null}))
            .await,
    );
    assert_eq!(only(&errors, "roll_number"), "This field may not be null.");
    let errors = field_errors(
        campus
            .patch_student(student.meta.id, json!({"semester": "x"}))
            .await,
    );
    assert!(errors.contains("semester"));
    let errors = field_errors(
        campus
            .patch_student(student.meta.id, json!({"nope": 1}))
            .await,
    );
    assert!(errors.contains("nope"));
}

#[tokio::test]
async fn patch_merges_custom_fields_key_by_key() {
    let campus = Campus::new();
    campus
        .define(json!({"entity": "student", "name": "hostel", "field_type": "text"}))
        .await;
    campus
        .define(json!({"entity": "student", "name": "bus", "field_type": "boolean"}))
        .await;
    let body = with(
        student_body("R1"),
        "custom_fields",
        json!({"hostel": "H1", "bus": true}),
    );
    let student = campus.student_from(body).await;
    let saved = campus
        .patch_student(student.meta.id, json!({"custom_fields": {"hostel": "H2"}}))
        .await
        .expect("patched");
    assert_eq!(
        saved.record.custom_fields,
        patch(json!({"hostel": "H2", "bus": true}))
    );
    let saved = campus
        .patch_student(student.meta.id, json!({"custom_fields": {"bus": null}}))
        .await
        .expect("patched");
    assert_eq!(saved.record.custom_fields, patch(json!({"hostel": "H2"})));
}

#[tokio::test]
async fn writes_to_an_unknown_id_are_not_found() {
    let campus = Campus::new();
    let id = uuid::Uuid::now_v7();
    let put = campus
        .students
        .update_json(&admin(), id, student_body("R1"), None)
        .await;
    assert!(matches!(put, Err(Error::NotFound { .. })), "{put:?}");
    let patched = campus
        .students
        .partial_update(&admin(), id, Map::new(), None)
        .await;
    assert!(
        matches!(patched, Err(Error::NotFound { .. })),
        "{patched:?}"
    );
    let deleted = campus.students.destroy(&admin(), id, None).await;
    assert!(
        matches!(deleted, Err(Error::NotFound { .. })),
        "{deleted:?}"
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_failed_precondition() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    let id = student.meta.id;
    let saved = campus
        .students
        .partial_update(&admin(), id, patch(json!({"semester": 2})), Some(1))
        .await
        .expect("current version");
    assert_eq!(saved.record.meta.version, 2);
    let stale = campus
        .students
        .partial_update(&admin(), id, patch(json!({"semester": 3})), Some(1))
        .await;
    assert!(
        matches!(
            stale,
            Err(Error::PreconditionFailed {
                expected: 1,
                actual: 2
            })
        ),
        "{stale:?}"
    );
    let stale_put = campus
        .students
        .update_json(&admin(), id, student_body("R1"), Some(1))
        .await;
    assert!(matches!(stale_put, Err(Error::PreconditionFailed { .. })));
    let stale_delete = campus.students.destroy(&admin(), id, Some(1)).await;
    assert!(matches!(
        stale_delete,
        Err(Error::PreconditionFailed { .. })
    ));
    let current = campus
        .students
        .retrieve(&admin(), id, &ReadOptions::default())
        .await
        .expect("still there");
    assert_eq!(current.value().expect("decoded").semester, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_updates_with_the_same_version_exactly_one_wins() {
    for round in 0..20 {
        let campus = Arc::new(Campus::new());
        let student = campus.student(&format!("R{round}")).await;
        let id = student.meta.id;
        let tasks: Vec<_> = (0..2)
            .map(|semester| {
                let campus = Arc::clone(&campus);
                tokio::spawn(async move {
                    campus
                        .students
                        .partial_update(
                            &admin(),
                            id,
                            patch(json!({"semester": semester + 4})),
                            Some(1),
                        )
                        .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task"));
        }
        let wins = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(wins, 1, "{outcomes:?}");
        assert!(outcomes
            .iter()
            .any(|outcome| matches!(outcome, Err(Error::PreconditionFailed { .. }))));
        let updates = campus.events.events().len();
        assert_eq!(updates, 2, "one create and one update event");
    }
}

#[tokio::test]
async fn destroy_removes_the_record() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    let written = campus
        .students
        .destroy(&admin(), student.meta.id, Some(1))
        .await
        .expect("deleted");
    assert_eq!(written.token, Some(campus.store.token()));
    let gone = campus
        .students
        .retrieve(&admin(), student.meta.id, &ReadOptions::default())
        .await;
    assert!(matches!(gone, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn unique_values_conflict_on_their_field() {
    let campus = Campus::new();
    campus.student("R1").await;
    let outcome = campus
        .students
        .create_json(&admin(), student_body("R1"))
        .await;
    match outcome {
        Err(Error::Conflict { field, .. }) => assert_eq!(field, "roll_number"),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_create_validates_like_json_create() {
    let campus = Campus::new();
    let input: <Student as Entity>::Create =
        serde_json::from_value(with(student_body("R1"), "semester", json!(11))).expect("input");
    let errors = field_errors(campus.students.create(&admin(), input).await);
    assert!(errors.contains("semester"));
}
