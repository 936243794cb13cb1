//! Authentication: bearer JWTs (HS256, expiry, issuer, audience) and API keys.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{Method, StatusCode};
use campushub_core::Role;
use campushub_http::{ApiState, Claims, Credentials, JwtVerifier, TokenMinter};

use crate::support::{department, App, ADMIN_KEY, SECRET};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn claims(exp: u64) -> Claims {
    Claims {
        sub: "someone".into(),
        roles: vec!["admin".into()],
        exp,
        iat: None,
        nbf: None,
        iss: None,
        aud: None,
        jti: None,
        sid: None,
        ver: None,
        student_id: None,
        faculty_id: None,
        department_id: None,
    }
}

async fn with_bearer(app: &App, token: &str) -> crate::support::Reply {
    app.call_with(
        Method::GET,
        "/api/v1/departments",
        None,
        None,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

#[tokio::test]
async fn no_credentials_is_401_with_www_authenticate_everywhere_under_api() {
    let app = App::new();
    for uri in [
        "/api/v1/departments",
        "/api/v1/students/stats",
        "/api/v1/analytics/summary",
        "/api/v1/openapi.json",
        "/metrics",
    ] {
        let reply = app.call(Method::GET, uri, None, None).await;
        reply.problem(StatusCode::UNAUTHORIZED);
        assert!(
            reply.header("www-authenticate").starts_with("Bearer"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn bad_expired_and_foreign_tokens_are_401() {
    let app = App::new();
    with_bearer(&app, "not.a.jwt")
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let expired = TokenMinter::hs256(SECRET)
        .expect("secret")
        .sign(&claims(now() - 3600))
        .expect("sign");
    with_bearer(&app, &expired)
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let foreign = TokenMinter::hs256("another secret, just as long as the first")
        .expect("secret")
        .mint("x", &[Role::ADMIN], Duration::from_secs(60))
        .expect("mint");
    with_bearer(&app, &foreign)
        .await
        .problem(StatusCode::UNAUTHORIZED);
    let basic = app
        .call_with(
            Method::GET,
            "/api/v1/departments",
            None,
            None,
            &[("authorization", "Basic YTpi")],
        )
        .await;
    basic.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_within_the_leeway_is_accepted() {
    let app = App::new();
    let fresh = TokenMinter::hs256(SECRET)
        .expect("secret")
        .sign(&claims(now() + 60))
        .expect("sign");
    assert_eq!(with_bearer(&app, &fresh).await.status, StatusCode::OK);
    let just_expired = TokenMinter::hs256(SECRET)
        .expect("secret")
        .sign(&claims(now() - 5))
        .expect("sign");
    assert_eq!(
        with_bearer(&app, &just_expired).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_keys_authenticate_and_unknown_keys_do_not() {
    let app = App::new();
    let ok = app
        .call_with(
            Method::GET,
            "/api/v1/departments",
            None,
            None,
            &[("x-api-key", ADMIN_KEY)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = app
        .call_with(
            Method::GET,
            "/api/v1/departments",
            None,
            None,
            &[("x-api-key", "guess")],
        )
        .await;
    bad.problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_key_may_come_as_a_bearer_token_a_jwt_never_as_a_key() {
    let app = App::new();
    // A client that can send only `Authorization` (a Prometheus scraper) sends its key there.
    assert_eq!(with_bearer(&app, ADMIN_KEY).await.status, StatusCode::OK);
    with_bearer(&app, "guess")
        .await
        .problem(StatusCode::UNAUTHORIZED);
    // Anything with a dot is a JWT and verified as one, even if it is also a key's text.
    with_bearer(&app, "admin-api-key.x.y")
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let verifier = JwtVerifier::hs256(SECRET)
        .expect("secret")
        .issuer("campushub")
        .audience("erp");
    let app = App::with_state(|services| {
        ApiState::new(services, Arc::new(Credentials::new().jwt(verifier)))
    });
    let good = TokenMinter::hs256(SECRET)
        .expect("secret")
        .issuer("campushub")
        .audience("erp")
        .mint("a", &[Role::ADMIN], Duration::from_secs(60))
        .expect("mint");
    assert_eq!(with_bearer(&app, &good).await.status, StatusCode::OK);
    for minter in [
        TokenMinter::hs256(SECRET)
            .expect("secret")
            .issuer("elsewhere")
            .audience("erp"),
        TokenMinter::hs256(SECRET)
            .expect("secret")
            .issuer("campushub")
            .audience("other"),
        TokenMinter::hs256(SECRET).expect("secret"),
    ] {
        let token = minter
            .mint("a", &[Role::ADMIN], Duration::from_secs(60))
            .expect("mint");
        with_bearer(&app, &token)
            .await
            .problem(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_role_without_the_permission_is_403() {
    let app = App::new();
    let reply = app
        .call(
            Method::POST,
            "/api/v1/departments",
            Some(&Role::FACULTY),
            Some(department("CSE")),
        )
        .await;
    reply.problem(StatusCode::FORBIDDEN);
    let unknown_role = Role::new("janitor");
    let reply = app
        .call(
            Method::GET,
            "/api/v1/departments",
            Some(&unknown_role),
            None,
        )
        .await;
    reply.problem(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rs256_tokens_verify_with_the_public_key_only() {
    let verifier =
        JwtVerifier::rs256_pem(include_str!("keys/rs256-public.pem")).expect("public key");
    let app = App::with_state(|services| {
        ApiState::new(services, Arc::new(Credentials::new().jwt(verifier)))
    });
    let minter =
        TokenMinter::rs256_pem(include_str!("keys/rs256-private.pem")).expect("private key");
    let token = minter
        .mint("signer", &[Role::ADMIN], Duration::from_secs(60))
        .expect("mint");
    assert_eq!(with_bearer(&app, &token).await.status, StatusCode::OK);
    let hs = TokenMinter::hs256(SECRET)
        .expect("secret")
        .mint("forger", &[Role::ADMIN], Duration::from_secs(60))
        .expect("mint");
    with_bearer(&app, &hs)
        .await
        .problem(StatusCode::UNAUTHORIZED);
    assert!(JwtVerifier::rs256_pem("not a key").is_err());
}

#[tokio::test]
async fn a_token_not_valid_yet_or_issued_in_the_future_is_401() {
    let app = App::new();
    let minter = TokenMinter::hs256(SECRET).expect("secret");
    let not_yet = Claims {
        nbf: Some(now() + 600),
        ..claims(now() + 3600)
    };
    let reply = with_bearer(&app, &minter.sign(&not_yet).expect("sign")).await;
    let body = reply.problem(StatusCode::UNAUTHORIZED);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("not valid yet"),
        "{body}"
    );
    let from_the_future = Claims {
        iat: Some(now() + 600),
        ..claims(now() + 3600)
    };
    let reply = with_bearer(&app, &minter.sign(&from_the_future).expect("sign")).await;
    let body = reply.problem(StatusCode::UNAUTHORIZED);
    assert!(
        body["detail"].as_str().unwrap_or("").contains("`iat`"),
        "{body}"
    );
    // Within the clock-skew leeway, both are accepted.
    let skewed = Claims {
        nbf: Some(now() + 5),
        iat: Some(now() + 5),
        ..claims(now() + 3600)
    };
    let reply = with_bearer(&app, &minter.sign(&skewed).expect("sign")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_401_says_what_the_client_can_fix_and_not_the_library_s_reason() {
    let app = App::new();
    let minter = TokenMinter::hs256(SECRET).expect("secret");
    let expired = minter.sign(&claims(now() - 3600)).expect("sign");
    let foreign = TokenMinter::hs256("a different secret of at least 32 bytes")
        .expect("secret")
        .sign(&claims(now() + 3600))
        .expect("sign");
    let cases = [
        (expired.as_str(), "the token has expired"),
        (
            foreign.as_str(),
            "the token is malformed or its signature does not verify",
        ),
        (
            "not.a.jwt",
            "the token is malformed or its signature does not verify",
        ),
    ];
    for (token, detail) in cases {
        let body = with_bearer(&app, token)
            .await
            .problem(StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], detail);
    }
}

#[test]
fn hs256_keys_shorter_than_32_bytes_are_refused() {
    for short in ["", "x", "0123456789abcdef0123456789abcde"] {
        let error = JwtVerifier::hs256(short).expect_err("too short");
        assert!(error.to_string().contains("at least 32 bytes"), "{error}");
        assert!(TokenMinter::hs256(short).is_err());
    }
    assert!(JwtVerifier::hs256("0123456789abcdef0123456789abcdef").is_ok());
}

#[tokio::test]
async fn api_responses_are_not_stored_and_vary_with_the_credentials() {
    let app = App::new();
    let created = app.create("departments", department("CSE")).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let answers = [
        app.get("/api/v1/departments").await,
        app.get(&format!("/api/v1/departments/{id}")).await,
        app.get("/api/v1/students/stats").await,
        app.get("/api/v1/departments/00000000-0000-0000-0000-000000000000")
            .await,
        with_bearer(&app, "not.a.jwt").await,
    ];
    for reply in answers {
        assert_eq!(
            reply.header("cache-control"),
            "no-store",
            "{}",
            reply.status
        );
        let vary = reply.header("vary").to_ascii_lowercase();
        assert!(
            vary.contains("authorization") && vary.contains("x-api-key"),
            "{vary}"
        );
    }
    // The probes are not per caller.
    let health = app.get("/healthz").await;
    assert_ne!(health.header("cache-control"), "no-store");
}
