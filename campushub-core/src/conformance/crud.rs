//! Cases: create, read, update and delete of every built-in kind (audit fields included), and
//! missing records.

use serde_json::json;
use uuid::Uuid;

use super::data::{
    create, custom_field_input, department_input, faculty_input, student_input, ACTOR,
};
use super::support::{fresh, revised, stored};
use super::Fixture;
use crate::audit::Audit;
use crate::custom_fields::{CustomFieldDef, CustomFieldType};
use crate::entities::{Department, Faculty, Student};
use crate::entity::Entity;
use crate::error::Error;
use crate::kind::EntityKind;
use crate::repository::Repository;

/// The subject the cases' updates are written by, other than the creator ([`ACTOR`]).
const EDITOR: &str = "conformance-editor";

/// Inserts `record`, reads it back equal, updates it with `change` (version 2), reads the
/// change back, deletes it and finds it gone. `change` also records [`EDITOR`] as the last
/// writer, so the audit fields are read back as written on insert and on update.
async fn round_trip<E: Entity>(repo: &dyn Repository<E>, record: E, change: impl FnOnce(&mut E)) {
    let id = record.meta().id;
    repo.insert(&record).await.expect("insert");
    let read = stored(repo, id).await;
    assert_eq!(json!(read), json!(record), "read back as written");
    assert_eq!(
        (&json!(read)["created_by"], &json!(read)["updated_by"]),
        (&json!(ACTOR), &json!(ACTOR)),
        "{}: the creator is stored as creator and last writer",
        E::KIND
    );

    let changed = revised(&record, change);
    repo.update(&changed, 1).await.expect("update");
    let read = stored(repo, id).await;
    assert_eq!(read.meta().version, 2);
    assert_eq!(json!(read), json!(changed), "update read back");
    assert_eq!(
        (&json!(read)["created_by"], &json!(read)["updated_by"]),
        (&json!(ACTOR), &json!(EDITOR)),
        "{}: an update stores its writer and keeps the creator",
        E::KIND
    );

    repo.delete(id, 2).await.expect("delete");
    assert!(repo.get(id, &fresh()).await.expect("get").is_none());
}

/// Departments round-trip through insert, get, update and delete.
pub async fn department_crud(f: Fixture) {
    let record = create(department_input("CSE", "Computer Science"));
    round_trip(&*f.departments, record, |d| {
        d.name = "Computing".into();
        d.audit.written(EDITOR);
    })
    .await;
}

/// Students round-trip through insert, get, update and delete.
pub async fn student_crud(f: Fixture) {
    let mut input = student_input("CS-001");
    input.person.email = Some("ada@uni.example".into());
    input.custom_fields = json!({"nickname": "Ada"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    round_trip(&*f.students, create(input), |s| {
        s.year_of_study = 2;
        s.audit.written(EDITOR);
    })
    .await;
}

/// Faculty round-trip through insert, get, update and delete.
pub async fn faculty_crud(f: Fixture) {
    let record = create(faculty_input("EMP-001"));
    round_trip(&*f.faculty, record, |m| {
        m.qualification = "DSc".into();
        m.audit.written(EDITOR);
    })
    .await;
}

/// Custom-field definitions round-trip through insert, get, update and delete (the
/// `sensitive` flag included).
pub async fn custom_field_crud(f: Fixture) {
    let input = custom_field_input(
        EntityKind::STUDENT,
        "clubs",
        CustomFieldType::Multiselect,
        &["chess"],
    );
    round_trip(&*f.custom_fields, create(input), |d| {
        d.choices.push("music".into());
        d.sensitive = true;
        d.audit.written(EDITOR);
    })
    .await;
}

/// A record whose writers are unknown (one written before its kind recorded them) reads back
/// with `created_by` and `updated_by` null, for every kind.
pub async fn unknown_writers_read_as_null(f: Fixture) {
    let mut department = create::<Department>(department_input("ANON", "Anonymous"));
    department.audit = Audit::default();
    let mut student = create::<Student>(student_input("ANON-1"));
    student.audit = Audit::default();
    let mut member = create::<Faculty>(faculty_input("ANON-2"));
    member.audit = Audit::default();
    let mut definition = create::<CustomFieldDef>(custom_field_input(
        EntityKind::DEPARTMENT,
        "anon",
        CustomFieldType::Text,
        &[],
    ));
    definition.audit = Audit::default();
    unknown_writers(&*f.departments, department).await;
    unknown_writers(&*f.students, student).await;
    unknown_writers(&*f.faculty, member).await;
    unknown_writers(&*f.custom_fields, definition).await;
}

/// Inserts `record` (its audit unknown) and reads both audit fields back as `null`.
async fn unknown_writers<E: Entity>(repo: &dyn Repository<E>, record: E) {
    repo.insert(&record).await.expect("insert");
    let read = json!(stored(repo, record.meta().id).await);
    assert_eq!(read, json!(record), "{}: read back as written", E::KIND);
    assert!(
        read["created_by"].is_null() && read["updated_by"].is_null(),
        "{}: {read}",
        E::KIND
    );
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
