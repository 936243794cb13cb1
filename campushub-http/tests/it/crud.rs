//! Create, retrieve, replace, patch and delete: statuses, headers, ETags and tokens.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::json;

use crate::support::{department, id_of, student, App};

#[tokio::test]
async fn create_answers_201_with_location_etag_and_consistency_token() {
    let app = App::new();
    let reply = app.post("/api/v1/departments", department("CSE")).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let body = reply.json();
    let id = id_of(&body);
    assert_eq!(body["code"], "CSE");
    assert_eq!(
        reply.header("location"),
        format!("/api/v1/departments/{id}")
    );
    assert_eq!(reply.header("etag"), format!("\"{id}-1\""));
    assert!(!reply.header("consistency-token").is_empty());
    assert_eq!(reply.header("content-type"), "application/json");
}

#[tokio::test]
async fn retrieve_serves_the_record_with_its_etag_and_304_when_it_matches() {
    let app = App::new();
    let created = app.create("departments", department("EEE")).await;
    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let reply = app.get(&uri).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["name"], created["name"]);
    let tag = reply.header("etag");
    let again = app.get_with(&uri, &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), tag);
    let other = app.get_with(&uri, &[("if-none-match", "\"x\"")]).await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test]
async fn put_and_patch_write_and_bump_the_etag() {
    let app = App::new();
    let created = app.create("departments", department("MEC")).await;
    let id = id_of(&created);
    let uri = format!("/api/v1/departments/{id}");
    let put = app
        .call(
            Method::PUT,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"code": "MEC", "name": "Mechanical"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.json());
    assert_eq!(put.json()["name"], "Mechanical");
    assert_eq!(put.header("etag"), format!("\"{id}-2\""));
    assert!(!put.header("consistency-token").is_empty());
    let patch = app
        .call_with(
            Method::PATCH,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"name": "Mechanical Engineering"})),
            &[("if-match", &put.header("etag"))],
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.json());
    assert_eq!(patch.json()["name"], "Mechanical Engineering");
    assert_eq!(patch.json()["code"], "MEC");
    assert_eq!(patch.header("etag"), format!("\"{id}-3\""));
}

#[tokio::test]
async fn a_stale_if_match_is_412_on_put_patch_and_delete() {
    let app = App::new();
    let created = app.create("departments", department("CIV")).await;
    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let first = app.get(&uri).await.header("etag");
    let patched = app
        .call_with(
            Method::PATCH,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"name": "Civil"})),
            &[("if-match", &first)],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    let stale = [("if-match", first.as_str())];
    let body = json!({"code": "CIV", "name": "Civil 2"});
    let put = app
        .call_with(
            Method::PUT,
            &uri,
            Some(&Role::ADMIN),
            Some(body.clone()),
            &stale,
        )
        .await;
    put.problem(StatusCode::PRECONDITION_FAILED);
    let patch = app
        .call_with(Method::PATCH, &uri, Some(&Role::ADMIN), Some(body), &stale)
        .await;
    patch.problem(StatusCode::PRECONDITION_FAILED);
    let delete = app
        .call_with(Method::DELETE, &uri, Some(&Role::ADMIN), None, &stale)
        .await;
    delete.problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get(&uri).await.json()["name"], "Civil");
}

#[tokio::test]
async fn a_malformed_if_match_is_400_and_a_foreign_one_412() {
    let app = App::new();
    let created = app.create("departments", department("BIO")).await;
    let other = app.create("departments", department("CHE")).await;
    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let malformed = app
        .call_with(
            Method::DELETE,
            &uri,
            Some(&Role::ADMIN),
            None,
            &[("if-match", "version 1")],
        )
        .await;
    malformed.field_problem(StatusCode::BAD_REQUEST, "If-Match");
    let foreign = format!("\"{}-1\"", id_of(&other));
    let reply = app
        .call_with(
            Method::DELETE,
            &uri,
            Some(&Role::ADMIN),
            None,
            &[("if-match", &foreign)],
        )
        .await;
    reply.problem(StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn delete_answers_204_with_a_token_then_the_record_is_gone() {
    let app = App::new();
    let created = app.create("departments", department("PHY")).await;
    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let reply = app
        .call(Method::DELETE, &uri, Some(&Role::ADMIN), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    assert!(!reply.header("consistency-token").is_empty());
    app.get(&uri).await.problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_route_accepts_a_trailing_slash() {
    let app = App::new();
    let created = app
        .call(
            Method::POST,
            "/api/v1/students/",
            Some(&Role::ADMIN),
            Some(student("R-1", None)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = id_of(&created.json());
    assert_eq!(created.header("location"), format!("/api/v1/students/{id}"));
    assert_eq!(
        app.get(&format!("/api/v1/students/{id}/")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/students/").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/students/stats/").await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/healthz/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_consistency_token_from_a_write_is_accepted_on_the_next_read() {
    let app = App::new();
    let created = app.post("/api/v1/departments", department("MAT")).await;
    let token = created.header("consistency-token");
    let uri = format!("/api/v1/departments/{}", id_of(&created.json()));
    let reply = app.get_with(&uri, &[("consistency-token", &token)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["code"], "MAT");
}

#[tokio::test]
async fn the_router_works_nested_under_a_prefix() {
    let app = App::new();
    let nested = App {
        router: axum::Router::new().nest("/erp", app.router.clone()),
        minter: app.minter.clone(),
    };
    let reply = nested
        .post("/erp/api/v1/departments", department("ART"))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let location = reply.header("location");
    assert!(
        location.starts_with("/erp/api/v1/departments/"),
        "{location}"
    );
    assert_eq!(nested.get(&location).await.status, StatusCode::OK);
}

#[tokio::test]
async fn students_embed_their_department_summary() {
    let app = App::new();
    let dept = app.create("departments", department("CSE")).await;
    let created = app
        .create("students", student("R-9", Some(&id_of(&dept))))
        .await;
    let reply = app
        .get(&format!("/api/v1/students/{}", id_of(&created)))
        .await;
    assert_eq!(reply.json()["department"]["code"], "CSE");
}

#[tokio::test]
async fn custom_field_definitions_validate_and_filter_student_values() {
    let app = App::new();
    let created = app
        .create("custom-fields", crate::support::custom_field("blood_group"))
        .await;
    assert_eq!(created["name"], "blood_group");
    let mut body = student("R-7", None);
    body["custom_fields"] = json!({"blood_group": "O+"});
    app.create("students", body).await;
    let page = app.get("/api/v1/students?cf.blood_group=O%2B").await.json();
    assert_eq!(page["results"][0]["roll_number"], "R-7", "{page}");
    let mut bad = student("R-8", None);
    bad["custom_fields"] = json!({"unknown_field": 1});
    // Custom-field values are checked against the definitions in force, not the document.
    let problem = app
        .post("/api/v1/students", bad)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !problem["errors"]
            .as_object()
            .map(|m| m.is_empty())
            .unwrap_or(true),
        "{problem}"
    );
}
