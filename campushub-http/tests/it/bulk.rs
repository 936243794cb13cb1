//! Bulk create, update and delete: all or nothing by default, `?atomic=false` per row, counts,
//! per-row errors, caps, and the `422` of a call that applied nothing.

use axum::http::StatusCode;
use campushub_http::HttpConfig;
use serde_json::json;

use crate::support::{department, faculty, student, App};

/// Asserts the `422` of a bulk call that applied no row: a problem carrying the report,
/// no token; returns its body.
fn rejected(reply: &crate::support::Reply, count: &str, failed: &[usize]) -> serde_json::Value {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.json()
    );
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let body = reply.json();
    assert_eq!(
        body["type"], "urn:campushub:problem:bulk-rejected",
        "{body}"
    );
    assert_eq!(body["status"], 422);
    assert_eq!(body[count], 0, "{body}");
    assert_eq!(body["error_count"], failed.len(), "{body}");
    let indexes: Vec<_> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| row["index"].as_u64().unwrap_or(u64::MAX) as usize)
        .collect();
    assert_eq!(indexes, failed, "{body}");
    assert!(reply.header("consistency-token").is_empty());
    body
}

#[tokio::test]
async fn a_bulk_create_is_all_or_nothing_by_default() {
    let app = App::new();
    let mut bad = student("S-2", None);
    bad["date_of_birth"] = json!("2999-01-01");
    let rows = json!({"students": [student("S-1", None), bad, student("S-3", None)]});
    let reply = app.post("/api/v1/students/bulk-create", rows.clone()).await;
    let body = rejected(&reply, "created_count", &[1]);
    assert!(
        body["errors"][0]["errors"]["date_of_birth"].is_array(),
        "{body}"
    );
    let list = app.get("/api/v1/students").await.json();
    assert_eq!(list["results"].as_array().map(Vec::len), Some(0), "{list}");
    // `atomic=true` says the same thing as no parameter.
    let reply = app
        .post("/api/v1/students/bulk-create?atomic=true", rows)
        .await;
    rejected(&reply, "created_count", &[1]);
}

#[tokio::test]
async fn atomic_false_applies_the_rows_that_pass_and_reports_the_others() {
    let app = App::new();
    let mut bad = student("S-2", None);
    bad["date_of_birth"] = json!("2999-01-01");
    let reply = app
        .post(
            "/api/v1/students/bulk-create?atomic=false",
            json!({"students": [student("S-1", None), bad, student("S-3", None)]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    let body = reply.json();
    assert_eq!(body["created_count"], 2);
    assert_eq!(body["error_count"], 1);
    assert_eq!(body["errors"][0]["index"], 1);
    assert!(
        body["errors"][0]["errors"]["date_of_birth"].is_array(),
        "{body}"
    );
    assert!(!reply.header("consistency-token").is_empty());
    let list = app.get("/api/v1/students").await.json();
    assert_eq!(list["results"].as_array().map(Vec::len), Some(2));
    // A call in which every row fails applied nothing: 422 in either mode.
    let reply = app
        .post(
            "/api/v1/students/bulk-create?atomic=false",
            json!({"students": [student("S-1", None), student("S-3", None)]}),
        )
        .await;
    rejected(&reply, "created_count", &[0, 1]);
}

#[tokio::test]
async fn bulk_update_and_delete_address_rows_by_natural_key() {
    let app = App::new();
    app.post(
        "/api/v1/students/bulk-create",
        json!({"students": [student("S-1", None), student("S-2", None)]}),
    )
    .await;
    let updates = json!({"updates": [{"roll_number": "S-1", "section": "B"}, {"roll_number": "NOPE", "section": "C"}]});
    let reply = app
        .post("/api/v1/students/bulk-update", updates.clone())
        .await;
    rejected(&reply, "updated_count", &[1]);
    let page = app.get("/api/v1/students?roll_number=S-1").await.json();
    assert_eq!(page["results"][0]["section"], "A", "not applied: {page}");
    let reply = app
        .post("/api/v1/students/bulk-update?atomic=false", updates)
        .await;
    let body = reply.json();
    assert_eq!(body["updated_count"], 1, "{body}");
    assert_eq!(body["error_count"], 1);
    assert_eq!(body["errors"][0]["index"], 1);
    let page = app.get("/api/v1/students?roll_number=S-1").await.json();
    assert_eq!(page["results"][0]["section"], "B");

    let doomed = json!({"roll_numbers": ["S-1", "S-2", "S-9"]});
    let reply = app
        .post("/api/v1/students/bulk-delete", doomed.clone())
        .await;
    rejected(&reply, "deleted_count", &[2]);
    let list = app.get("/api/v1/students").await.json();
    assert_eq!(list["results"].as_array().map(Vec::len), Some(2), "{list}");
    let reply = app
        .post("/api/v1/students/bulk-delete?atomic=false", doomed)
        .await;
    let body = reply.json();
    assert_eq!(body["deleted_count"], 2, "{body}");
    assert_eq!(body["error_count"], 1);
}

#[tokio::test]
async fn the_atomic_parameter_is_checked_like_any_other() {
    let app = App::new();
    let rows = || json!({"students": [student("S-1", None)]});
    for query in ["atomic=yes", "atomic=", "atomic=true&atomic=false"] {
        app.post(&format!("/api/v1/students/bulk-create?{query}"), rows())
            .await
            .field_problem(StatusCode::BAD_REQUEST, "atomic");
    }
    app.post("/api/v1/students/bulk-create?dry_run=true", rows())
        .await
        .field_problem(StatusCode::BAD_REQUEST, "dry_run");
    let list = app.get("/api/v1/students").await.json();
    assert_eq!(list["results"].as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test]
async fn departments_have_bulk_routes_keyed_by_code() {
    let app = App::new();
    let reply = app
        .post(
            "/api/v1/departments/bulk-create",
            json!({"departments": [department("CSE"), department("ECE")]}),
        )
        .await;
    assert_eq!(reply.json()["created_count"], 2, "{}", reply.json());
    let reply = app
        .post(
            "/api/v1/departments/bulk-update",
            json!({"updates": [{"code": "CSE", "name": "Computing"}]}),
        )
        .await;
    assert_eq!(reply.json()["updated_count"], 1, "{}", reply.json());
    let page = app.get("/api/v1/departments?code=CSE").await.json();
    assert_eq!(page["results"][0]["name"], "Computing");
    let reply = app
        .post("/api/v1/departments/bulk-delete", json!({"codes": ["ECE"]}))
        .await;
    assert_eq!(reply.json()["deleted_count"], 1, "{}", reply.json());
    let list = app.get("/api/v1/departments").await.json();
    assert_eq!(list["results"].as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test]
async fn faculty_bulk_routes_use_their_own_keys() {
    let app = App::new();
    let reply = app
        .post(
            "/api/v1/faculty/bulk-create",
            json!({"faculty": [faculty("E-1", None), faculty("E-2", None)]}),
        )
        .await;
    assert_eq!(reply.json()["created_count"], 2, "{}", reply.json());
    let reply = app
        .post(
            "/api/v1/faculty/bulk-update",
            json!({"updates": [{"employee_id": "E-1", "qualification": "DSc"}]}),
        )
        .await;
    assert_eq!(reply.json()["updated_count"], 1);
    let reply = app
        .post(
            "/api/v1/faculty/bulk-delete",
            json!({"employee_ids": ["E-1"]}),
        )
        .await;
    assert_eq!(reply.json()["deleted_count"], 1);
    let wrong = app
        .post(
            "/api/v1/faculty/bulk-delete",
            json!({"roll_numbers": ["E-2"]}),
        )
        .await;
    wrong.field_problem(StatusCode::BAD_REQUEST, "roll_numbers");
}

#[tokio::test]
async fn malformed_bulk_bodies_are_400() {
    let app = App::new();
    for body in [
        json!({}),
        json!({"students": "all"}),
        json!({"students": [], "extra": 1}),
    ] {
        app.post("/api/v1/students/bulk-create", body)
            .await
            .problem(StatusCode::BAD_REQUEST);
    }
    let reply = app
        .post(
            "/api/v1/students/bulk-delete",
            json!({"roll_numbers": ["ok", 7]}),
        )
        .await;
    reply.field_problem(StatusCode::BAD_REQUEST, "roll_numbers[1]");
}

#[tokio::test]
async fn more_rows_than_the_cap_is_413() {
    let app = App::with_config(HttpConfig {
        max_bulk_rows: 2,
        ..HttpConfig::default()
    });
    let rows: Vec<_> = (0..3).map(|i| student(&format!("S-{i}"), None)).collect();
    let reply = app
        .post("/api/v1/students/bulk-create", json!({"students": rows}))
        .await;
    reply.problem(StatusCode::PAYLOAD_TOO_LARGE);
    let reply = app
        .post(
            "/api/v1/faculty/bulk-delete",
            json!({"employee_ids": ["a", "b", "c"]}),
        )
        .await;
    reply.problem(StatusCode::PAYLOAD_TOO_LARGE);
    let reply = app
        .post(
            "/api/v1/students/bulk-delete",
            json!({"roll_numbers": ["a", "b"]}),
        )
        .await;
    rejected(&reply, "deleted_count", &[0, 1]);
}

/// A body whose rows do not have the declared shape is refused whole, each bad field named
/// after the body's member and the row, and nothing is written, not even the good rows.
#[tokio::test]
async fn schema_violating_bulk_bodies_are_refused_whole() {
    let app = App::new();
    let mut bad = student("S-2", None);
    bad["year_of_study"] = json!(9);
    let reply = app
        .post(
            "/api/v1/students/bulk-create",
            json!({"students": [student("S-1", None), bad]}),
        )
        .await;
    reply.field_problem(StatusCode::BAD_REQUEST, "students[1].year_of_study");
    app.post(
        "/api/v1/students/bulk-create",
        json!({"students": [student("S-1", None)]}),
    )
    .await;
    let reply = app
        .post(
            "/api/v1/students/bulk-update",
            json!({"updates": [{"roll_number": "S-1", "semester": 2}, {"roll_number": "S-1", "semester": "two"}]}),
        )
        .await;
    reply.field_problem(StatusCode::BAD_REQUEST, "updates[1].semester");
    let page = app.get("/api/v1/students").await.json();
    let rows = page["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(
        rows[0]["semester"], 1,
        "the good row was not applied either"
    );
}
