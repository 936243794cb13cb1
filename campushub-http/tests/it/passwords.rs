//! Passwords and the refresh-token cookie through the router: an administrator sets an
//! account's password, its owner signs in and changes it (every sign-in then ends), and a
//! login that asks for it keeps its refresh token in an `HttpOnly` cookie on the refresh route.

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use serde_json::{json, Value};

use crate::support::{App, Reply, ADMIN_KEY};

const EMAIL: &str = "ada@uni.example";
const FIRST: &str = "the first password of ada";
const SECOND: &str = "the second password of ada";

/// An account created and given [`FIRST`] by an admin; its id.
async fn account(app: &App) -> String {
    let user = app
        .create(
            "users",
            json!({"email": EMAIL, "display_name": "Ada", "roles": ["registrar"], "is_active": true}),
        )
        .await;
    let id = user["id"].as_str().expect("an id").to_owned();
    let reset = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{id}/password"),
            Some(&Role::ADMIN),
            Some(json!({"password": FIRST})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);
    id
}

async fn login(app: &App, password: &str, extra: Value) -> Reply {
    let mut body = json!({"email": EMAIL, "password": password});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    app.call(Method::POST, "/api/v1/auth/login", None, Some(body))
        .await
}

async fn as_bearer(app: &App, token: &str, uri: &str, body: Value) -> Reply {
    app.call_with(
        Method::POST,
        uri,
        None,
        Some(body),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[tokio::test]
async fn an_administrator_sets_a_password_and_its_owner_changes_it() {
    let app = App::with_identity();
    let id = account(&app).await;
    let reset = format!("/api/v1/users/{id}/password");
    let by_registrar = app
        .call(
            Method::POST,
            &reset,
            Some(&Role::REGISTRAR),
            Some(json!({"password": SECOND})),
        )
        .await;
    by_registrar.problem(StatusCode::FORBIDDEN);
    let weak = app
        .call(
            Method::POST,
            &reset,
            Some(&Role::ADMIN),
            Some(json!({"password": "short"})),
        )
        .await;
    weak.field_problem(StatusCode::BAD_REQUEST, "password");
    let unknown = app
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/password", uuid::Uuid::now_v7()),
            Some(&Role::ADMIN),
            Some(json!({"password": SECOND})),
        )
        .await;
    unknown.problem(StatusCode::NOT_FOUND);

    let signed = login(&app, FIRST, json!({})).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    let access = signed.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let refresh = signed.json()["refresh_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let change = "/api/v1/auth/password";
    let wrong = as_bearer(
        &app,
        &access,
        change,
        json!({"current_password": "not the password", "new_password": SECOND}),
    )
    .await;
    wrong.problem(StatusCode::UNAUTHORIZED);
    let weak = as_bearer(
        &app,
        &access,
        change,
        json!({"current_password": FIRST, "new_password": EMAIL}),
    )
    .await;
    weak.field_problem(StatusCode::BAD_REQUEST, "new_password");
    let changed = as_bearer(
        &app,
        &access,
        change,
        json!({"current_password": FIRST, "new_password": SECOND}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);

    let stale = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    stale.problem(StatusCode::UNAUTHORIZED);
    login(&app, FIRST, json!({}))
        .await
        .problem(StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, SECOND, json!({})).await.status, StatusCode::OK);

    // An API key names no account: it has no password to change.
    let by_key = app
        .call_with(
            Method::POST,
            change,
            None,
            Some(json!({"current_password": FIRST, "new_password": SECOND})),
            &[("x-api-key", ADMIN_KEY)],
        )
        .await;
    by_key.problem(StatusCode::FORBIDDEN);

    // The audit log holds the reset and the change that took, never a value; newest first.
    let log = app
        .call(
            Method::GET,
            &format!("/api/v1/audit?record_id={id}&kind=user"),
            Some(&Role::ADMIN),
            None,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let entries: Vec<(String, Value)> = log.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("password"))
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["changes"].clone(),
            )
        })
        .collect();
    let redacted = json!({"password": {"redacted": true}});
    assert_eq!(
        entries,
        vec![
            ("password_change".to_owned(), redacted.clone()),
            ("password_reset".to_owned(), redacted),
        ]
    );
}

/// The `Set-Cookie` of a reply, checked to be the refresh cookie; its token.
fn refresh_cookie(reply: &Reply) -> String {
    let cookie = reply.header("set-cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/api/v1/auth/refresh",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let value = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("campushub_refresh="))
        .expect("the refresh cookie");
    value.to_owned()
}

async fn refresh_with_cookie(app: &App, token: &str) -> Reply {
    app.call_with(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({})),
        &[("cookie", &format!("theme=dark; campushub_refresh={token}"))],
    )
    .await
}

#[tokio::test]
async fn a_login_can_keep_its_refresh_token_in_a_cookie_on_the_refresh_route() {
    let app = App::with_identity();
    account(&app).await;
    login(&app, FIRST, json!({"refresh_cookie": "yes"}))
        .await
        .field_problem(StatusCode::BAD_REQUEST, "refresh_cookie");

    let signed = login(&app, FIRST, json!({"refresh_cookie": true})).await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert!(
        signed.json().get("refresh_token").is_none(),
        "{}",
        signed.json()
    );
    let first = refresh_cookie(&signed);

    let rotated = refresh_with_cookie(&app, &first).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    assert!(rotated.json().get("refresh_token").is_none());
    let second = refresh_cookie(&rotated);
    assert_ne!(first, second);
    let access = rotated.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // The used cookie again: the whole sign-in is revoked, the newer cookie with it.
    refresh_with_cookie(&app, &first)
        .await
        .problem(StatusCode::UNAUTHORIZED);
    refresh_with_cookie(&app, &second)
        .await
        .problem(StatusCode::UNAUTHORIZED);

    let logout = as_bearer(&app, &access, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.header("set-cookie").contains("Max-Age=0"));

    // Without a cookie or a token in the body (absent or null), nothing was presented.
    for body in [json!({}), json!({"refresh_token": null})] {
        app.call(Method::POST, "/api/v1/auth/refresh", None, Some(body))
            .await
            .problem(StatusCode::UNAUTHORIZED);
    }
}

async fn me(app: &App, token: &str) -> Reply {
    app.call_with(
        Method::GET,
        "/api/v1/auth/me",
        None,
        None,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

async fn patch_account(app: &App, id: &str, patch: Value) {
    let reply = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&Role::ADMIN),
            Some(patch),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn a_write_to_an_account_revokes_its_access_tokens_and_a_refresh_carries_the_change() {
    let app = App::with_identity();
    let id = account(&app).await;
    let signed = login(&app, FIRST, json!({})).await.json();
    let access = signed["access_token"].as_str().expect("token").to_owned();
    let refresh = signed["refresh_token"].as_str().expect("token").to_owned();
    assert_eq!(
        me(&app, &access).await.json()["roles"],
        json!(["registrar"])
    );

    // Demoted: the registrar token stops working at once; a refresh carries the new role.
    patch_account(&app, &id, json!({"roles": ["faculty"]})).await;
    let refused = me(&app, &access).await.problem(StatusCode::UNAUTHORIZED);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or("")
            .contains("account changed"),
        "{refused}"
    );
    let refreshed = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await
        .json();
    let access = refreshed["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let refresh = refreshed["refresh_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(me(&app, &access).await.json()["roles"], json!(["faculty"]));

    // Deactivated: the token stops working and no refresh brings it back.
    patch_account(&app, &id, json!({"is_active": false})).await;
    me(&app, &access).await.problem(StatusCode::UNAUTHORIZED);
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .problem(StatusCode::UNAUTHORIZED);
}
