//! `created_by` and `updated_by` over HTTP: the token's subject, on departments and custom-field
//! definitions as on students; a body that sends them is treated alike on every kind; the
//! document lists them on every kind's record and marks them read-only in its bodies.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::support::{custom_field, department, faculty, id_of, student, App};

/// `created_by` and `updated_by` of a record's JSON.
fn writers(record: &Value) -> (&Value, &Value) {
    (&record["created_by"], &record["updated_by"])
}

#[tokio::test]
async fn a_department_create_answers_the_tokens_subject_and_a_write_its_writer() {
    let app = App::new();
    let created = app
        .call(
            Method::POST,
            "/api/v1/departments",
            Some(&Role::REGISTRAR),
            Some(department("CSE")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json());
    let created = created.json();
    let subject = json!("registrar-user");
    assert_eq!(writers(&created), (&subject, &subject));

    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let patched = app
        .call(
            Method::PATCH,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"name": "Computing"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json());
    assert_eq!(writers(&patched.json()), (&subject, &json!("admin-user")));
    assert_eq!(
        writers(&app.get(&uri).await.json()),
        (&subject, &json!("admin-user"))
    );
}

/// A create and a PUT whose bodies send `created_by` and `updated_by` answer the same on a
/// department and a custom-field definition as on a student and a faculty member: the token's
/// subject, whatever the body said.
#[tokio::test]
async fn a_body_sending_the_writers_is_treated_as_on_students() {
    let app = App::new();
    let forged = |mut body: Value| {
        body["created_by"] = json!("forged");
        body["updated_by"] = json!("forged");
        body
    };
    let admin = json!("admin-user");
    for (segment, body) in [
        ("students", student("R1", None)),
        ("faculty", faculty("E1", None)),
        ("departments", department("EEE")),
        ("custom-fields", custom_field("blood_group")),
    ] {
        let uri = format!("/api/v1/{segment}");
        let created = app.post(&uri, forged(body.clone())).await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{segment}: {}",
            created.json()
        );
        let created = created.json();
        assert_eq!(writers(&created), (&admin, &admin), "{segment}: create");

        let uri = format!("{uri}/{}", id_of(&created));
        let replaced = app
            .call(Method::PUT, &uri, Some(&Role::ADMIN), Some(forged(body)))
            .await;
        assert_eq!(
            replaced.status,
            StatusCode::OK,
            "{segment}: {}",
            replaced.json()
        );
        assert_eq!(
            writers(&replaced.json()),
            (&admin, &admin),
            "{segment}: PUT"
        );
    }
}

/// The schema `value` is, following a `$ref` into the document's components.
fn resolved<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => reference
            .strip_prefix("#/")
            .map(|path| path.split('/').fold(document, |node, part| &node[part]))
            .unwrap_or(value),
        None => value,
    }
}

#[tokio::test]
async fn the_document_lists_the_writers_on_every_kind_and_marks_them_read_only_in_bodies() {
    let app = App::new();
    let document = app.get("/api/v1/openapi.json").await.json();
    for segment in ["students", "faculty", "departments", "custom-fields"] {
        let item = format!("/api/v1/{segment}/{{id}}");
        let record = &document["paths"][&item]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        let record = resolved(&document, record);
        let body = &document["paths"][&item]["put"]["requestBody"]["content"]["application/json"]
            ["schema"];
        let body = resolved(&document, body);
        for name in ["created_by", "updated_by"] {
            assert!(
                record["properties"][name].is_object(),
                "{segment}: the record lists {name}: {record}"
            );
            assert_eq!(
                body["properties"][name]["readOnly"], true,
                "{segment}: a body may send {name} back, and it is ignored: {body}"
            );
        }
    }
}
