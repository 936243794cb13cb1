//! One representation: the body of a `201` or `200` after a write is byte for byte what a
//! `GET` of that version answers, embedded references included, for every kind (an added
//! one too), and both carry the same `ETag`.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::support::{custom_field, department, faculty, id_of, student, App, Reply};

/// Asserts that `written` (a write's answer) is what a `GET` of its `Location` (or `uri`)
/// answers now, bytes and ETag; returns the record.
async fn same_as_read(app: &App, written: &Reply, uri: &str) -> Value {
    assert!(
        written.status == StatusCode::CREATED || written.status == StatusCode::OK,
        "{}: {}",
        written.status,
        String::from_utf8_lossy(&written.body)
    );
    let read = app.get(uri).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        String::from_utf8_lossy(&written.body),
        String::from_utf8_lossy(&read.body),
        "{uri}: the write's body and the read's differ"
    );
    assert_eq!(written.header("etag"), read.header("etag"), "{uri}");
    written.json()
}

/// Creates with `body`, then replaces with `replacement` and patches with `patch`,
/// comparing each answer with a read; returns the three records.
async fn write_and_read(
    app: &App,
    segment: &str,
    body: Value,
    replacement: Value,
    patch: Value,
) -> [Value; 3] {
    let created = app.post(&format!("/api/v1/{segment}"), body).await;
    let uri = created.header("location");
    let created = same_as_read(app, &created, &uri).await;
    let put = app
        .call(Method::PUT, &uri, Some(&Role::ADMIN), Some(replacement))
        .await;
    let put = same_as_read(app, &put, &uri).await;
    let patched = app
        .call(Method::PATCH, &uri, Some(&Role::ADMIN), Some(patch))
        .await;
    let patched = same_as_read(app, &patched, &uri).await;
    [created, put, patched]
}

#[tokio::test]
async fn every_built_in_kind_answers_a_write_as_a_read_of_it() {
    let app = App::new();
    let cse = app.create("departments", department("CSE")).await;
    let ece = app.create("departments", department("ECE")).await;
    let (cse_id, ece_id) = (id_of(&cse), id_of(&ece));

    let [created, moved, patched] = write_and_read(
        &app,
        "students",
        student("R-1", Some(&cse_id)),
        student("R-1", Some(&ece_id)),
        json!({"department_id": cse_id}),
    )
    .await;
    assert_eq!(created["department"]["code"], "CSE", "{created}");
    assert_eq!(moved["department"]["code"], "ECE", "{moved}");
    assert_eq!(patched["department"]["code"], "CSE", "{patched}");

    let [created, moved, _] = write_and_read(
        &app,
        "faculty",
        faculty("E-1", Some(&cse_id)),
        faculty("E-1", Some(&ece_id)),
        json!({"department_id": null}),
    )
    .await;
    assert_eq!(created["department"]["name"], "Department CSE");
    assert_eq!(moved["department"]["id"], json!(ece_id));

    let mut child = department("SUB");
    child["parent_id"] = json!(cse_id);
    write_and_read(
        &app,
        "departments",
        child,
        department("SUB"),
        json!({"parent_id": ece_id}),
    )
    .await;

    write_and_read(
        &app,
        "custom-fields",
        custom_field("blood_group"),
        custom_field("blood_group"),
        json!({"label": "Blood type"}),
    )
    .await;
}

#[tokio::test]
async fn an_added_kind_answers_a_write_as_a_read_of_it() {
    let app = crate::added_kind::app();
    let cse = app.create("departments", department("CSE")).await;
    let room = json!({"code": "LT-1", "capacity": 120, "department_id": cse["id"]});
    let [created, _, patched] =
        write_and_read(&app, "rooms", room.clone(), room, json!({"capacity": 90})).await;
    let summary = json!({"id": cse["id"], "code": "CSE", "name": cse["name"]});
    assert_eq!(created["department"], summary);
    assert_eq!(patched["department"], summary);
}
