//! CORS: off by default; with origins configured, preflights are answered without credentials
//! and responses let the allowed page read the headers it needs.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use campushub_http::{CorsOrigins, HttpConfig};

use crate::support::{department, App};

const PAGE: &str = "https://erp.example.edu";

fn app_for(origins: &str) -> App {
    App::with_config(HttpConfig {
        cors: CorsOrigins::parse(origins).expect("origins"),
        ..HttpConfig::default()
    })
}

async fn preflight(app: &App, origin: &str) -> crate::support::Reply {
    app.call_with(
        Method::OPTIONS,
        "/api/v1/students",
        None,
        None,
        &[
            ("origin", origin),
            ("access-control-request-method", "PATCH"),
            (
                "access-control-request-headers",
                "authorization,if-match,content-type",
            ),
        ],
    )
    .await
}

#[tokio::test]
async fn without_configured_origins_no_cors_headers_are_sent() {
    let app = App::new();
    let reply = app
        .call_with(
            Method::GET,
            "/api/v1/departments",
            Some(&Role::ADMIN),
            None,
            &[("origin", PAGE)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), "");
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_answered_without_credentials() {
    let app = app_for("https://erp.example.edu, http://localhost:5173");
    let reply = preflight(&app, PAGE).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), PAGE);
    // A listed origin's page may send the refresh-token cookie (`credentials: "include"`).
    assert_eq!(reply.header("access-control-allow-credentials"), "true");
    assert!(reply
        .header("access-control-allow-methods")
        .contains("PATCH"));
    let headers = reply.header("access-control-allow-headers").to_lowercase();
    for name in [
        "authorization",
        "if-match",
        "content-type",
        "consistency-token",
    ] {
        assert!(headers.contains(name), "{name} in {headers}");
    }
}

#[tokio::test]
async fn responses_to_an_allowed_origin_expose_etag_location_and_token() {
    let app = app_for(PAGE);
    let reply = app
        .call_with(
            Method::POST,
            "/api/v1/departments",
            Some(&Role::ADMIN),
            Some(department("CSE")),
            &[("origin", PAGE)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("access-control-allow-origin"), PAGE);
    let exposed = reply.header("access-control-expose-headers").to_lowercase();
    for name in ["etag", "location", "consistency-token", "x-request-id"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    // CORS opens nothing that authentication closes.
    let anonymous = app
        .call_with(
            Method::GET,
            "/api/v1/departments",
            None,
            None,
            &[("origin", PAGE)],
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_origin_is_not_allowed() {
    let app = app_for(PAGE);
    let reply = preflight(&app, "https://evil.example.com").await;
    assert_eq!(reply.header("access-control-allow-origin"), "");
    let any = app_for("*");
    let reply = preflight(&any, "https://elsewhere.example.org").await;
    assert_eq!(reply.header("access-control-allow-origin"), "*");
    // Any origin, but never with credentials: no site's script may send the cookie.
    assert_eq!(reply.header("access-control-allow-credentials"), "");
}
