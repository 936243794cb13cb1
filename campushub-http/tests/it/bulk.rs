//! Bulk create, update and delete for students and faculty: counts, per-row errors, caps.

use axum::http::StatusCode;
use campushub_http::HttpConfig;
use serde_json::json;

use crate::support::{faculty, student, App};

#[tokio::test]
async fn bulk_create_reports_created_rows_and_per_row_errors() {
    let app = App::new();
    let mut bad = student("S-2", None);
    bad["date_of_birth"] = json!("2999-01-01");
    let reply = app
        .post(
            "/api/v1/students/bulk-create",
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
}

#[tokio::test]
async fn bulk_update_and_delete_address_rows_by_natural_key() {
    let app = App::new();
    app.post(
        "/api/v1/students/bulk-create",
        json!({"students": [student("S-1", None), student("S-2", None)]}),
    )
    .await;
    let reply = app
        .post(
            "/api/v1/students/bulk-update",
            json!({"updates": [{"roll_number": "S-1", "section": "B"}, {"roll_number": "NOPE", "section": "C"}]}),
        )
        .await;
    let body = reply.json();
    assert_eq!(body["updated_count"], 1, "{body}");
    assert_eq!(body["error_count"], 1);
    assert_eq!(body["errors"][0]["index"], 1);
    let page = app.get("/api/v1/students?roll_number=S-1").await.json();
    assert_eq!(page["results"][0]["section"], "B");
    let reply = app
        .post(
            "/api/v1/students/bulk-delete",
            json!({"roll_numbers": ["S-1", "S-2", "S-9"]}),
        )
        .await;
    let body = reply.json();
    assert_eq!(body["deleted_count"], 2, "{body}");
    assert_eq!(body["error_count"], 1);
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
    assert_eq!(reply.status, StatusCode::OK);
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
