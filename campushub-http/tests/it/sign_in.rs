//! The sign-in routes through the router: served only with an `Identity`, in the OpenAPI
//! document (login and refresh open, the user schema without a secret), bad bodies named.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::json;

use crate::support::App;

#[tokio::test]
async fn without_an_identity_there_are_no_users_or_sign_in_routes() {
    let app = App::new();
    for (method, uri) in [
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::GET, "/api/v1/auth/me"),
    ] {
        let reply = app
            .call(method, uri, Some(&Role::ADMIN), Some(json!({})))
            .await;
        reply.problem(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn login_bodies_are_checked_field_by_field_and_answers_are_not_stored() {
    let app = App::with_identity();
    let missing = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "a@b.co"})),
        )
        .await;
    missing.field_problem(StatusCode::BAD_REQUEST, "password");
    let wrong_type = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": 1, "password": "x"})),
        )
        .await;
    wrong_type.field_problem(StatusCode::BAD_REQUEST, "email");
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@b.co", "password": "whatever it is"})),
        )
        .await;
    unknown.problem(StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.header("cache-control"), "no-store");
    let refresh = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "nope"})),
        )
        .await;
    refresh.problem(StatusCode::UNAUTHORIZED);
    let me = app.call(Method::GET, "/api/v1/auth/me", None, None).await;
    me.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_document_lists_the_sign_in_routes_and_no_secret_of_a_user() {
    let app = App::with_identity();
    let reply = app
        .call(
            Method::GET,
            "/api/v1/openapi.json",
            Some(&Role::ADMIN),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let document = reply.json();
    let paths = &document["paths"];
    for path in ["login", "refresh", "logout", "me"] {
        assert!(paths[format!("/api/v1/auth/{path}")].is_object(), "{path}");
    }
    assert_eq!(
        paths["/api/v1/auth/login"]["post"]["security"],
        json!([{}]),
        "login is open"
    );
    assert_eq!(
        paths["/api/v1/auth/login"]["post"]["operationId"],
        "auth_login"
    );
    assert!(paths["/api/v1/users/{id}"]["patch"].is_object());
    let schemas = &document["components"]["schemas"];
    for name in [
        "LoginRequest",
        "RefreshRequest",
        "TokenResponse",
        "Me",
        "User",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    assert_eq!(
        schemas["Me"]["properties"]["user"]["oneOf"][0]["$ref"],
        "#/components/schemas/User"
    );
    let user = schemas["User"].to_string();
    assert!(user.contains("display_name"), "{user}");
    assert!(
        !user.contains("password") && !user.contains("hash"),
        "{user}"
    );
}
