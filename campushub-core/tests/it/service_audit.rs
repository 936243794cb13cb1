//! Who wrote a record, on every built-in kind: a create records the principal's subject as
//! `created_by` and `updated_by`, every later write (PUT, PATCH, bulk) as `updated_by`, and a
//! body that sends either is ignored like any read-only field.
#![cfg(feature = "memory")]

use campushub_core::memory::MemoryStore;
use campushub_core::{BatchMode, Entity, EntityService, Principal, ReadOptions, Repository, Role};
use serde_json::{json, Map, Value};

use crate::support::service::{
    definition_body, department_body, faculty_body, student_body, with, Campus,
};

/// An administrator known as `subject`: each write in a case has its own writer.
fn as_(subject: &str) -> Principal {
    Principal::new(subject, [Role::ADMIN])
}

/// `created_by` and `updated_by` as `record` serializes them.
fn writers(record: &impl serde::Serialize) -> (Value, Value) {
    let json = serde_json::to_value(record).expect("a record serializes");
    (json["created_by"].clone(), json["updated_by"].clone())
}

/// `body` claiming other writers than the principal: a client cannot set them.
fn forged(body: Value) -> Value {
    with(
        with(body, "created_by", json!("forged")),
        "updated_by",
        json!("forged"),
    )
}

/// Creates from `body` (with forged writers), replaces with `field` set to `values[0]`, patches
/// it to `values[1]`, each as another principal, and checks the writers after each write and
/// on a read of the stored record.
async fn single_writes<E: Entity>(
    service: &EntityService<E>,
    body: Value,
    field: &str,
    values: [Value; 2],
) {
    let kind = E::KIND;
    let created = service
        .create_json(&as_("creator"), forged(body.clone()))
        .await
        .unwrap_or_else(|error| panic!("{kind}: create: {error}"))
        .record;
    assert_eq!(
        writers(&created),
        (json!("creator"), json!("creator")),
        "{kind}: a create records its principal as creator and last writer"
    );

    let id = created.meta().id;
    let [replacement, patched_value] = values;
    let replaced = service
        .update_json(
            &as_("replacer"),
            id,
            forged(with(body, field, replacement)),
            None,
        )
        .await
        .unwrap_or_else(|error| panic!("{kind}: PUT: {error}"))
        .record;
    assert_eq!(
        writers(&replaced),
        (json!("creator"), json!("replacer")),
        "{kind}: a PUT records its principal as last writer"
    );

    let patch = Map::from_iter([
        (field.to_owned(), patched_value.clone()),
        ("created_by".to_owned(), json!("forged")),
    ]);
    let patched = service
        .partial_update(&as_("patcher"), id, patch, None)
        .await
        .unwrap_or_else(|error| panic!("{kind}: PATCH: {error}"))
        .record;
    assert_eq!(
        serde_json::to_value(&patched).expect("json")[field],
        patched_value
    );
    assert_eq!(
        writers(&patched),
        (json!("creator"), json!("patcher")),
        "{kind}: a PATCH records its principal as last writer"
    );

    let fetched = service
        .retrieve(&as_("reader"), id, &ReadOptions::default())
        .await
        .unwrap_or_else(|error| panic!("{kind}: retrieve: {error}"));
    let stored: Value = serde_json::from_slice(fetched.json()).expect("json");
    assert_eq!(
        writers(&stored),
        (json!("creator"), json!("patcher")),
        "{kind}: a read answers the writers stored, a read records none"
    );
}

#[tokio::test]
async fn every_kind_records_its_writers_on_create_put_and_patch() {
    let campus = Campus::new();
    single_writes(
        &campus.departments,
        department_body("CSE"),
        "name",
        [json!("Computing"), json!("Computer Science")],
    )
    .await;
    single_writes(
        &campus.students,
        student_body("R1"),
        "program",
        [json!("M.Tech"), json!("PhD")],
    )
    .await;
    single_writes(
        &campus.faculty,
        faculty_body("E1"),
        "qualification",
        [json!("DSc"), json!("MPhil")],
    )
    .await;
    single_writes(
        &campus.definitions,
        definition_body("student", "hostel", "text"),
        "label",
        [json!("Hostel"), json!("Hall of residence")],
    )
    .await;
}

/// Bulk-creates one row from `body` and bulk-updates it by its natural key `key`, with forged
/// writers and as different principals, and reads the writers the store holds after each.
async fn bulk_writes<E: Entity>(
    service: &EntityService<E>,
    store: &MemoryStore,
    key: &str,
    body: Value,
    change: (&str, Value),
) {
    let kind = E::KIND;
    let natural_key = body[key].clone();
    let stored = || stored_writers::<E>(store, &body[key]);

    let report = service
        .bulk_create(
            &as_("bulk-creator"),
            vec![forged(body.clone())],
            BatchMode::AllOrNothing,
        )
        .await
        .expect("report");
    assert_eq!(report.succeeded, 1, "{kind}: {:?}", report.errors);
    assert_eq!(
        stored().await,
        (json!("bulk-creator"), json!("bulk-creator")),
        "{kind}: a bulk create records its principal as creator and last writer"
    );

    let (field, value) = change;
    let row = Map::from_iter([(key.to_owned(), natural_key), (field.to_owned(), value)]);
    let row = forged(Value::Object(row));
    let report = service
        .bulk_update(&as_("bulk-updater"), vec![row], BatchMode::AllOrNothing)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 1, "{kind}: {:?}", report.errors);
    assert_eq!(
        stored().await,
        (json!("bulk-creator"), json!("bulk-updater")),
        "{kind}: a bulk update records its principal as last writer"
    );
}

/// The writers of the stored record of `E` whose natural key is `key` (a JSON string).
async fn stored_writers<E: Entity>(store: &MemoryStore, key: &Value) -> (Value, Value) {
    let key = key.as_str().expect("a text natural key").to_owned();
    let found = store
        .repository::<E>()
        .find_by_natural_keys(&[key], &ReadOptions::default())
        .await
        .expect("read");
    writers(found.first().expect("the row was written"))
}

/// Custom-field definitions have no natural key, so no bulk calls: the other kinds.
#[tokio::test]
async fn every_kind_with_bulk_calls_records_its_writers_on_bulk_create_and_update() {
    let campus = Campus::new();
    let store = &campus.store;
    bulk_writes(
        &campus.departments,
        store,
        "code",
        department_body("EEE"),
        ("name", json!("Electrical")),
    )
    .await;
    bulk_writes(
        &campus.students,
        store,
        "roll_number",
        student_body("B1"),
        ("semester", json!(2)),
    )
    .await;
    bulk_writes(
        &campus.faculty,
        store,
        "employee_id",
        faculty_body("F1"),
        ("qualification", json!("DSc")),
    )
    .await;
}
