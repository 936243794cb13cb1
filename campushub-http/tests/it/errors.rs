//! Bad input of every kind: each is a problem+json with the right status, never a 500.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use campushub_core::Role;
use campushub_http::HttpConfig;
use serde_json::json;

use crate::support::{department, id_of, student, App};

fn raw(
    method: Method,
    uri: &str,
    app: &App,
    content_type: Option<&str>,
    body: &str,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri).header(
        header::AUTHORIZATION,
        format!("Bearer {}", app.token(&Role::ADMIN)),
    );
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(Body::from(body.to_owned())).expect("request")
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_body() {
    let app = App::new();
    for text in ["{", "{\"code\": }", "not json", "", "[1,2"] {
        let reply = app
            .send(raw(
                Method::POST,
                "/api/v1/departments",
                &app,
                Some("application/json"),
                text,
            ))
            .await;
        reply.field_problem(StatusCode::BAD_REQUEST, "body");
    }
}

#[tokio::test]
async fn wrong_types_are_400_naming_the_field() {
    let app = App::new();
    let mut body = student("R-1", None);
    body["year_of_study"] = json!("second");
    let reply = app.post("/api/v1/students", body).await;
    reply.field_problem(StatusCode::BAD_REQUEST, "year_of_study");
    let reply = app
        .post("/api/v1/departments", json!(["not", "an", "object"]))
        .await;
    reply.problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn absurd_numbers_are_400() {
    let app = App::new();
    let text = student("R-2", None)
        .to_string()
        .replace("\"program\"", "\"year_of_study\": 1e999, \"program\"");
    let reply = app
        .send(raw(
            Method::POST,
            "/api/v1/students",
            &app,
            Some("application/json"),
            &text,
        ))
        .await;
    reply.problem(StatusCode::BAD_REQUEST);
    for absurd in [json!(99_999_999_999_999_u64), json!(-1), json!(1.5)] {
        let mut body = student("R-3", None);
        body["year_of_study"] = absurd.clone();
        let reply = app.post("/api/v1/students", body).await;
        let problem = reply.problem(StatusCode::BAD_REQUEST);
        assert!(
            problem["errors"]["year_of_study"].is_array(),
            "{absurd}: {problem}"
        );
    }
    let reply = app.get("/api/v1/students?page=99999999999999999999").await;
    reply.problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_malformed_uuid_in_the_path_is_400() {
    let app = App::new();
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = app
            .call(
                method.clone(),
                "/api/v1/students/not-a-uuid",
                Some(&Role::ADMIN),
                Some(json!({})),
            )
            .await;
        reply.field_problem(StatusCode::BAD_REQUEST, "id");
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_400_naming_them() {
    let app = App::new();
    let reply = app.get("/api/v1/students?colour=blue").await;
    reply.field_problem(StatusCode::BAD_REQUEST, "colour");
    let reply = app.get("/api/v1/students/stats?ordering=-created_at").await;
    reply.problem(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_page_size_over_the_cap_is_400() {
    let app = App::with_config(HttpConfig {
        max_page_size: 10,
        ..HttpConfig::default()
    });
    app.get("/api/v1/departments?page_size=11")
        .await
        .field_problem(StatusCode::BAD_REQUEST, "page_size");
    assert_eq!(
        app.get("/api/v1/departments?page_size=10").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_malformed_consistency_token_is_400() {
    let app = App::new();
    let reply = app
        .get_with("/api/v1/departments", &[("consistency-token", "yesterday")])
        .await;
    reply.field_problem(StatusCode::BAD_REQUEST, "Consistency-Token");
}

#[tokio::test]
async fn unknown_routes_and_ids_are_404_problems() {
    let app = App::new();
    let reply = app.get("/api/v1/courses").await;
    assert!(reply.problem(StatusCode::NOT_FOUND)["detail"]
        .as_str()
        .is_some_and(|d| d.contains("/api/v1/courses")));
    app.call(Method::GET, "/nowhere", None, None)
        .await
        .problem(StatusCode::NOT_FOUND);
    let id = uuid::Uuid::now_v7();
    for segment in ["departments", "students", "faculty", "custom-fields"] {
        app.get(&format!("/api/v1/{segment}/{id}"))
            .await
            .problem(StatusCode::NOT_FOUND);
    }
    let patch = app
        .call(
            Method::PATCH,
            &format!("/api/v1/students/{id}"),
            Some(&Role::ADMIN),
            Some(json!({})),
        )
        .await;
    patch.problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = App::new();
    let reply = app
        .call(Method::DELETE, "/api/v1/students", Some(&Role::ADMIN), None)
        .await;
    reply.problem(StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        reply.header("allow").contains("POST"),
        "{}",
        reply.header("allow")
    );
    let reply = app.call(Method::POST, "/healthz", None, None).await;
    reply.problem(StatusCode::METHOD_NOT_ALLOWED);
    let reply = app
        .call(
            Method::GET,
            "/api/v1/students/bulk-create",
            Some(&Role::ADMIN),
            None,
        )
        .await;
    reply.problem(StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_415() {
    let app = App::new();
    let body = department("CSE").to_string();
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let reply = app
            .send(raw(
                Method::POST,
                "/api/v1/departments",
                &app,
                content_type,
                &body,
            ))
            .await;
        reply.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let ok = app
        .send(raw(
            Method::POST,
            "/api/v1/departments",
            &app,
            Some("application/json; charset=utf-8"),
            &body,
        ))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = App::with_config(HttpConfig {
        body_limit: 256,
        ..HttpConfig::default()
    });
    let big = json!({"code": "CSE", "name": "x".repeat(1000)}).to_string();
    let reply = app
        .send(raw(
            Method::POST,
            "/api/v1/departments",
            &app,
            Some("application/json"),
            &big,
        ))
        .await;
    reply.problem(StatusCode::PAYLOAD_TOO_LARGE);
    let chunked = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/departments")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token(&Role::ADMIN)),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(futures::stream::iter([Ok::<
            _,
            std::io::Error,
        >(big)])))
        .expect("request");
    app.send(chunked)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_unique_clash_is_409_naming_the_field() {
    let app = App::new();
    app.create("departments", department("CSE")).await;
    let reply = app
        .post(
            "/api/v1/departments",
            json!({"code": "CSE", "name": "Other"}),
        )
        .await;
    reply.field_problem(StatusCode::CONFLICT, "code");
    app.create("students", student("R-1", None)).await;
    app.post("/api/v1/students", student("R-1", None))
        .await
        .field_problem(StatusCode::CONFLICT, "roll_number");
}

#[tokio::test]
async fn a_patch_that_is_not_an_object_is_400() {
    let app = App::new();
    let created = app.create("departments", department("GEO")).await;
    let uri = format!("/api/v1/departments/{}", id_of(&created));
    let reply = app
        .call(Method::PATCH, &uri, Some(&Role::ADMIN), Some(json!([1])))
        .await;
    reply.problem(StatusCode::BAD_REQUEST);
    let reply = app
        .call(
            Method::PATCH,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"code": 12})),
        )
        .await;
    reply.field_problem(StatusCode::BAD_REQUEST, "code");
}

#[tokio::test]
async fn no_input_of_many_malformed_kinds_produces_a_server_error() {
    let app = App::new();
    let id = uuid::Uuid::now_v7();
    let paths = [
        "/api/v1/students".to_owned(),
        format!("/api/v1/students/{id}"),
        "/api/v1/students/%FF%FE".to_owned(),
        "/api/v1/faculty/bulk-update".to_owned(),
        "/api/v1/departments/stats?code__zz=1".to_owned(),
        "/api/v1/students?cursor=AAAA&ordering=-nope".to_owned(),
        "/api/v1/students?page=-1&page_size=0".to_owned(),
        "/api/v1/students?cf.nothing=1&date_of_birth__gt=yesterday".to_owned(),
        "/api/v1/students?a=%ZZ&&=&year_of_study__in=".to_owned(),
        "/api/v1/custom-fields?search=%00".to_owned(),
    ];
    let bodies = [
        "null",
        "{\"first_name\": {\"deep\": [[[[[[[[]]]]]]]]}}",
        "{\"year_of_study\": 1e308, \"date_of_birth\": \"2004-02-30\"}",
        "{\"updates\": [null, 1, \"x\", {\"roll_number\": null}]}",
        "{\"custom_fields\": [], \"department_id\": \"nope\"}",
        "\"\\ud800\"",
    ];
    for path in &paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            for body in bodies {
                let request = raw(method.clone(), path, &app, Some("application/json"), body);
                let reply = app.send(request).await;
                assert!(
                    !reply.status.is_server_error(),
                    "{method} {path} {body}: {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
        }
    }
}

#[tokio::test]
async fn thousands_of_query_parameters_get_a_small_400_naming_the_cap() {
    let app = App::new();
    let query: Vec<String> = (0..8_000).map(|i| format!("p{i}=1")).collect();
    let uri = format!("/api/v1/students?{}", query.join("&"));
    assert!(uri.len() > 50_000);
    for path in [uri.clone(), uri.replace("students?", "students/stats?")] {
        let reply = app.send(raw(Method::GET, &path, &app, None, "")).await;
        let body = reply.problem(StatusCode::BAD_REQUEST);
        assert!(reply.body.len() < 1_024, "{} bytes", reply.body.len());
        let detail = body.to_string();
        let cap = campushub_core::query::MAX_PARAMS;
        assert!(
            detail.contains(&format!("at most {cap} query parameters")),
            "{detail}"
        );
    }
}
