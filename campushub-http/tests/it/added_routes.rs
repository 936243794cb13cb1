//! An application's own routes (`ApiState::routes`): behind the same authentication, with the
//! same problems, in the OpenAPI document and the metrics, and reading a streamed body larger
//! than the buffered-body limit up to `HttpConfig::stream_body_limit`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, Method, Request, StatusCode};
use axum::routing::put;
use axum::Router;
use campushub_core::Role;
use campushub_http::openapi::{id_parameter, operation};
use campushub_http::problem::ApiResult;
use campushub_http::utoipa::openapi::path::HttpMethod;
use campushub_http::utoipa::openapi::{Paths, ResponseBuilder};
use campushub_http::{ApiState, Caller, HttpConfig, ImportLimits, Problem};
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

use crate::support::{credentials, App};

const PATH: &str = "/api/v1/notes/{id}/content";
const STREAM_LIMIT: usize = 3 * 1024 * 1024;

/// Counts the bytes of a streamed body for its caller; refuses a caller who is not admin.
async fn count(Caller(principal): Caller, Path(id): Path<Uuid>, body: Body) -> ApiResult<String> {
    if !principal.has_role(&Role::ADMIN) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "admins only"));
    }
    let mut stream = body.into_data_stream();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too large"))?;
        total += chunk.len();
    }
    Ok(format!("{id} {} {total}", principal.subject))
}

/// A file of 64 KiB, offered with byte ranges.
const FILE: &str = "/api/v1/notes/{id}/file";

async fn file() -> ([(header::HeaderName, &'static str); 2], Vec<u8>) {
    let headers = [
        (header::ACCEPT_RANGES, "bytes"),
        (header::CONTENT_TYPE, "text/plain"),
    ];
    (headers, vec![b'a'; 64 * 1024])
}

fn app() -> App {
    let router = Router::new()
        .route(PATH, put(count))
        .route(FILE, axum::routing::get(file));
    let mut paths = Paths::new();
    paths.add_path_operation(
        PATH,
        vec![HttpMethod::Put],
        operation("notes", "Count the bytes", &[413])
            .operation_id(Some("notes_content_update"))
            .parameter(id_parameter())
            .response("200", ResponseBuilder::new().description("Counted").build())
            .build(),
    );
    App::with_state(|services| {
        ApiState::new(services, Arc::new(credentials()))
            .config(HttpConfig {
                stream_body_limit: STREAM_LIMIT,
                // Below the stream limit, so that the cap is the stream limit.
                imports: ImportLimits {
                    max_file_bytes: 1024,
                    ..ImportLimits::default()
                },
                ..HttpConfig::default()
            })
            .routes(router, paths)
    })
}

async fn upload(app: &App, role: Option<&Role>, bytes: usize) -> crate::support::Reply {
    let mut request = Request::builder()
        .method(Method::PUT)
        .uri(PATH.replace("{id}", &Uuid::nil().to_string()))
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if let Some(role) = role {
        request = request.header(header::AUTHORIZATION, format!("Bearer {}", app.token(role)));
    }
    app.send(request.body(Body::from(vec![7u8; bytes])).expect("request"))
        .await
}

#[tokio::test]
async fn added_routes_are_authenticated_and_answer_problems() {
    let app = app();
    let anonymous = upload(&app, None, 10).await;
    anonymous.problem(StatusCode::UNAUTHORIZED);
    let refused = upload(&app, Some(&Role::REGISTRAR), 10).await;
    refused.problem(StatusCode::FORBIDDEN);
    let wrong_method = app
        .call(
            Method::POST,
            &PATH.replace("{id}", &Uuid::nil().to_string()),
            Some(&Role::ADMIN),
            Some(json!({})),
        )
        .await;
    wrong_method.problem(StatusCode::METHOD_NOT_ALLOWED);
    let counted = upload(&app, Some(&Role::ADMIN), 10).await;
    assert_eq!(counted.status, StatusCode::OK);
    assert_eq!(
        String::from_utf8_lossy(&counted.body),
        format!("{} admin-user 10", Uuid::nil())
    );
}

#[tokio::test]
async fn a_streamed_body_may_exceed_the_buffered_limit_up_to_the_stream_limit() {
    let app = app();
    let body_limit = HttpConfig::default().body_limit;
    let larger = upload(&app, Some(&Role::ADMIN), body_limit * 2).await;
    assert_eq!(larger.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&larger.body).ends_with(&format!(" {}", body_limit * 2)));
    let over = upload(&app, Some(&Role::ADMIN), STREAM_LIMIT + 1).await;
    over.problem(StatusCode::PAYLOAD_TOO_LARGE);
    // A buffered body is still held to `body_limit`.
    let department = app
        .call(
            Method::POST,
            "/api/v1/departments",
            Some(&Role::ADMIN),
            Some(json!({"code": "X", "name": "x".repeat(body_limit * 2)})),
        )
        .await;
    department.problem(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn added_routes_are_in_the_document_and_the_metrics() {
    let app = app();
    let document = app.get("/api/v1/openapi.json").await.json();
    let operation = &document["paths"][PATH]["put"];
    assert_eq!(operation["operationId"], "notes_content_update");
    assert!(operation["responses"]["401"].is_object());
    assert!(document["paths"]["/api/v1/students"].is_object());
    upload(&app, Some(&Role::ADMIN), 1).await;
    let metrics = app.get("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        text.contains(&format!(
            r#"http_requests_total{{route="{PATH}",status="200"}} 1"#
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_file_offered_with_ranges_is_sent_uncompressed() {
    let app = app();
    let path = FILE.replace("{id}", &Uuid::nil().to_string());
    let file = app.get_with(&path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(file.body.len(), 64 * 1024);
    // A large JSON answer still is.
    let document = app
        .get_with("/api/v1/openapi.json", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(document.header("content-encoding"), "gzip");
}
