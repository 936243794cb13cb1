//! Access tokens from an OpenID Connect provider: a fake provider served by the test on
//! loopback (discovery document and JWKS), tokens signed with RS256, ES256 and EdDSA keys,
//! key rotation, withdrawn keys, outages and refused tokens.

use std::sync::Arc;

use axum::http::{header, Method, Request, StatusCode};
use campushub_core::{Error, Role};
use campushub_http::{ApiState, ClaimMapping, OidcProvider};
use campushub_testkit::{FakeIdp, IDP_AUDIENCE as AUDIENCE};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::{credentials, App, Reply};

/// A provider over the fake with `mapping`, keys fetched once.
async fn provider(idp: &FakeIdp, mapping: ClaimMapping) -> OidcProvider {
    let provider = OidcProvider::builder(idp.issuer(), AUDIENCE)
        .claims(mapping)
        .build()
        .expect("provider");
    provider.refresh().await.expect("first fetch");
    provider
}

fn registrars() -> ClaimMapping {
    ClaimMapping::new().map("erp-registrars", Role::REGISTRAR)
}

/// The test router, accepting the provider's tokens beside its own.
fn app(provider: OidcProvider) -> App {
    App::with_state(|services| ApiState::new(services, Arc::new(credentials().oidc(provider))))
}

async fn list_students(app: &App, token: &str) -> Reply {
    let request = Request::builder()
        .method(Method::GET)
        .uri("/api/v1/students")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn tokens_signed_with_rsa_ec_and_ed25519_keys_are_accepted_with_mapped_roles() {
    let idp = FakeIdp::start(&["rsa-a", "ec", "ed"]).await;
    let app = app(provider(&idp, registrars()).await);
    for kid in ["rsa-a", "ec", "ed"] {
        let reply = list_students(&app, &idp.token(kid, json!({}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{kid}: {:?}", reply.body);
    }
    // Mapped to no role: authenticated, but allowed nothing.
    let unmapped = idp.token("rsa-a", json!({"groups": ["library"]}));
    list_students(&app, &unmapped)
        .await
        .problem(StatusCode::FORBIDDEN);
    // The router's own tokens still work beside the provider's.
    assert_eq!(app.get("/api/v1/students").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_however_many_requests_wait_for_it() {
    let idp = FakeIdp::start(&["rsa-a"]).await;
    let provider = provider(&idp, registrars()).await;
    let app = Arc::new(app(provider.clone()));
    assert_eq!(idp.fetches(), 1);
    idp.publish(&["rsa-a", "rsa-b"]);
    let rotated = idp.token("rsa-b", json!({}));
    let replies = futures::future::join_all((0..16).map(|_| {
        let (app, rotated) = (Arc::clone(&app), rotated.clone());
        async move { list_students(&app, &rotated).await.status }
    }))
    .await;
    assert!(replies.iter().all(|s| *s == StatusCode::OK), "{replies:?}");
    assert_eq!(idp.fetches(), 2, "one fetch for all the waiting requests");
    assert_eq!(provider.key_count(), 2);

    // Another unknown key id within the minimum interval fetches nothing and is refused.
    idp.publish(&["rsa-a", "rsa-b", "ec"]);
    let too_soon = idp.token("ec", json!({}));
    let refused = list_students(&app, &too_soon)
        .await
        .problem(StatusCode::UNAUTHORIZED);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or("")
            .contains("does not publish"),
        "{refused}"
    );
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_even_tokens_verified_before() {
    let idp = FakeIdp::start(&["rsa-a", "rsa-b"]).await;
    let provider = provider(&idp, registrars()).await;
    let app = app(provider.clone());
    let old = idp.token("rsa-a", json!({}));
    assert_eq!(list_students(&app, &old).await.status, StatusCode::OK);
    idp.publish(&["rsa-b"]);
    assert_eq!(provider.refresh().await.expect("fetch"), 1);
    list_students(&app, &old)
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_outage_of_the_provider_keeps_the_keys_held() {
    let idp = FakeIdp::start(&["rsa-a"]).await;
    let provider = provider(&idp, registrars()).await;
    let app = app(provider.clone());
    idp.set_down(true);
    let error = provider.refresh().await.expect_err("the provider is down");
    assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
    let token = idp.token("rsa-a", json!({}));
    assert_eq!(list_students(&app, &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_for_another_audience_issuer_or_time_or_with_a_swapped_algorithm_are_refused() {
    let idp = FakeIdp::start(&["rsa-a"]).await;
    let app = app(provider(&idp, registrars()).await);
    let refused = [
        (
            "audience",
            idp.token("rsa-a", json!({"aud": "another-app"})),
        ),
        ("expired", idp.token("rsa-a", json!({"exp": 1_000_000}))),
        (
            "future iat",
            idp.token("rsa-a", json!({"iat": 99_999_999_999u64})),
        ),
        ("no subject", idp.token("rsa-a", json!({"sub": null}))),
        // Signed by a key the provider publishes, but claiming the other algorithm family.
        ("algorithm", {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("rsa-a".into());
            let secret = serde_json::to_vec(&FakeIdp::public_key("rsa-a")).expect("json");
            let claims =
                json!({"sub": "x", "iss": idp.issuer(), "aud": AUDIENCE, "exp": 99_999_999_999u64});
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret))
                .expect("sign")
        }),
    ];
    for (why, token) in refused {
        let reply = list_students(&app, &token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{why}: {:?}",
            reply.body
        );
    }
    // The same claims from another issuer go to the router's own verifier, which refuses
    // them: an issuer cannot be borrowed.
    let stranger = idp.token("rsa-a", json!({"iss": "https://elsewhere.example"}));
    list_students(&app, &stranger)
        .await
        .problem(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_provider_needs_an_audience_and_keys_over_https_or_loopback() {
    let cases = [
        ("https://idp.example.edu", "", "oidc_audience"),
        ("http://idp.example.edu", AUDIENCE, "oidc_issuer"),
        ("", AUDIENCE, "oidc_issuer"),
    ];
    for (issuer, audience, field) in cases {
        let error = OidcProvider::builder(issuer, audience)
            .build()
            .expect_err("refused");
        assert!(
            matches!(&error, Error::Validation(errors) if errors.get(field).is_some()),
            "{issuer:?} {audience:?}: {error:?}"
        );
    }
    let error = OidcProvider::builder("https://idp.example.edu", AUDIENCE)
        .jwks_url("http://keys.example.edu/jwks")
        .build()
        .expect_err("plain http to another host");
    assert!(matches!(&error, Error::Validation(e) if e.get("oidc_jwks_url").is_some()));
    assert!(OidcProvider::builder("https://idp.example.edu", AUDIENCE)
        .build()
        .is_ok());
}

#[tokio::test]
async fn a_token_joined_to_its_account_gains_the_account_roles_unless_inactive_or_unverified() {
    use campushub_core::{Entity, RecordMeta, Repository, User, UserInput};
    let idp = FakeIdp::start(&["rsa-a"]).await;
    let mut users: Option<Arc<dyn Repository<User>>> = None;
    let app = App::with_store(|store, services| {
        let repository: Arc<dyn Repository<User>> = Arc::new(store.repository::<User>());
        users = Some(Arc::clone(&repository));
        let provider = OidcProvider::builder(idp.issuer(), AUDIENCE)
            .accounts(repository, "email")
            .build()
            .expect("provider");
        ApiState::new(services, Arc::new(credentials().oidc(provider)))
    });
    let users = users.expect("the users repository");
    let department = app
        .create("departments", crate::support::department("SSO"))
        .await;
    let department_id = crate::support::id_of(&department);
    let student = app
        .create(
            "students",
            crate::support::student("S-1", Some(&department_id)),
        )
        .await;
    app.create(
        "students",
        crate::support::student("S-2", Some(&department_id)),
    )
    .await;
    let student_id = crate::support::id_of(&student).parse().ok();
    for (email, role, linked, active) in [
        ("ada@uni.example", "registrar", None, true),
        ("off@uni.example", "registrar", None, false),
        ("stu@uni.example", "student", student_id, true),
    ] {
        let input = UserInput {
            email: email.into(),
            display_name: "Someone".into(),
            roles: vec![role.into()],
            student_id: linked,
            faculty_id: None,
            is_active: active,
        };
        let user = User::from_input(input, RecordMeta::new(), "test");
        users.insert(&user).await.expect("an account");
    }
    // The provider's keys are fetched by the first token (the builder fetched none).
    let cases = [
        (
            json!({"email": "ADA@uni.example", "groups": []}),
            StatusCode::OK,
        ),
        (
            json!({"email": "ada@uni.example", "email_verified": false, "groups": []}),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"email": "off@uni.example", "groups": []}),
            StatusCode::UNAUTHORIZED,
        ),
        (
            json!({"email": "nobody@uni.example", "groups": []}),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (claims, status) in cases {
        let reply = list_students(&app, &idp.token("rsa-a", claims.clone())).await;
        assert_eq!(reply.status, status, "{claims}: {:?}", reply.body);
    }
    // The account's student record travels with the token: a student lists its own only.
    let own = list_students(
        &app,
        &idp.token("rsa-a", json!({"email": "stu@uni.example", "groups": []})),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    let rows = own.json()["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{:?}", own.json());
    assert_eq!(rows[0]["roll_number"], "S-1");
}
