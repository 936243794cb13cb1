//! Cases: create, read, update and delete of every built-in kind, and missing records.

use serde_json::json;
use uuid::Uuid;

use super::data::{create, custom_field_input, department_input, faculty_input, student_input};
use super::support::{fresh, revised, stored};
use super::Fixture;
use crate::custom_fields::CustomFieldType;
use crate::entity::Entity;
use crate::error::Error;
use crate::kind::EntityKind;
use crate::repository::Repository;

/// Inserts `record`, reads it back equal, updates it with `change` (version 2), reads the
/// change back, deletes it and finds it gone.
async fn round_trip<E: Entity>(repo: &dyn Repository<E>, record: E, change: impl FnOnce(&mut E)) {
    let id = record.meta().id;
    repo.insert(&record).await.expect("insert");
    let read = stored(repo, id).await;
    assert_eq!(json!(read), json!(record), "read back as written");

    let changed = revised(&record, change);
    repo.update(&changed, 1).await.expect("update");
    let read = stored(repo, id).await;
    assert_eq!(read.meta().version, 2);
    assert_eq!(json!(read), json!(changed), "update read back");

    repo.delete(id, 2).await.expect("delete");
    assert!(repo.get(id, &fresh()).await.expect("get").is_none());
}

/// Departments round-trip through insert, get, update and delete.
pub async fn department_crud(f: Fixture) {
    let record = create(department_input("CSE", "Computer Science"));
    round_trip(&*f.departments, record, |d| d.name = "Computing".into()).await;
}

/// Students round-trip through insert, get, update and delete.
pub async fn student_crud(f: Fixture) {
    let mut input = student_input("CS-001");
    input.person.email = Some("ada@uni.example".into());
    input.custom_fields = json!({"nickname": "Ada"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    round_trip(&*f.students, create(input), |s| s.year_of_study = 2).await;
}

/// Faculty round-trip through insert, get, update and delete.
pub async fn faculty_crud(f: Fixture) {
    let record = create(faculty_input("EMP-001"));
    round_trip(&*f.faculty, record, |m| m.qualification = "DSc".into()).await;
}

/// Custom-field definitions round-trip through insert, get, update and delete.
pub async fn custom_field_crud(f: Fixture) {
    let input = custom_field_input(
        EntityKind::STUDENT,
        "clubs",
        CustomFieldType::Multiselect,
        &["chess"],
    );
    round_trip(&*f.custom_fields, create(input), |d| {
        d.choices.push("music".into())
    })
    .await;
}

/// Reading a missing id is `None`, not an error.
pub async fn get_missing_is_none(f: Fixture) {
    let found = f.students.get(Uuid::now_v7(), &fresh()).await.expect("get");
    assert!(found.is_none());
}

/// Updating a missing record is `NotFound`.
pub async fn update_missing_is_not_found(f: Fixture) {
    let record = create(student_input("GHOST"));
    let outcome = f.students.update(&record, 1).await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
}

/// Deleting a missing record is `NotFound`.
pub async fn delete_missing_is_not_found(f: Fixture) {
    let outcome = f.departments.delete(Uuid::now_v7(), 1).await;
    assert!(
        matches!(outcome, Err(Error::NotFound { .. })),
        "{outcome:?}"
    );
}
