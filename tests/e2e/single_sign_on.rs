//! Single sign-on against server processes on SQLite and on Postgres: the server fetches the
//! keys of an identity provider the test serves on loopback (through its discovery
//! document), accepts its RS256, ES256 and EdDSA tokens with the configured role mapping,
//! picks up a rotated key without a restart (one fetch), and refuses tokens for another
//! audience, from a key it does not know, or whose groups map to nothing.

use campushub_testkit::{FakeIdp, IDP_AUDIENCE};
use serde_json::{json, Value};

use crate::support::client::Http;
use crate::support::commands::TempDir;
use crate::support::db::TestDb;
use crate::support::env::Services;
use crate::support::instance::{namespace, replicated};
use crate::support::process::ProcessInstance;
use crate::support::records;

/// The variables connecting an instance to `idp`, registrars mapped from a group.
fn sso(idp: &FakeIdp) -> Vec<(&'static str, String)> {
    vec![
        ("CAMPUSHUB_OIDC_ISSUER", idp.issuer().to_owned()),
        ("CAMPUSHUB_OIDC_AUDIENCE", IDP_AUDIENCE.to_owned()),
        (
            "CAMPUSHUB_OIDC_ROLE_MAP",
            "erp-registrars=registrar".to_owned(),
        ),
        ("CAMPUSHUB_OIDC_SUBJECT_CLAIM", "email".to_owned()),
    ]
}

fn as_caller(server: &ProcessInstance, token: String) -> Http {
    Http::new(&server.http.base(), Some(token))
}

fn claims(email: &str) -> Value {
    json!({"email": email})
}

/// What every backend must show: see the module documentation.
async fn single_sign_on(idp: &FakeIdp, server: &ProcessInstance) {
    assert_eq!(idp.fetches(), 1, "the keys are fetched at start");
    for kid in ["rsa-a", "ec", "ed"] {
        let registrar = as_caller(server, idp.token(kid, claims("registrar@uni.example")));
        let reply = registrar.get("/api/v1/students").await;
        assert_eq!(reply.status, 200, "{kid}: {}", reply.text());
    }

    // A write records the configured subject claim as its author.
    let registrar = as_caller(server, idp.token("rsa-a", claims("ada@uni.example")));
    let department = records::department(&registrar, "SSO").await;
    assert_eq!(department["created_by"], "ada@uni.example", "{department}");

    // The provider rotates its keys: the first token of the new key waits for one fetch.
    idp.publish(&["rsa-a", "ec", "ed", "rsa-b"]);
    let rotated = as_caller(server, idp.token("rsa-b", claims("registrar@uni.example")));
    let reply = rotated.get("/api/v1/students").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(idp.fetches(), 2, "one fetch for the rotated key");

    let refused = [
        (
            "another audience",
            idp.token(
                "rsa-a",
                json!({"email": "x@uni.example", "aud": "other-app"}),
            ),
            401,
        ),
        (
            "no mapped group",
            idp.token(
                "rsa-a",
                json!({"email": "x@uni.example", "groups": ["library"]}),
            ),
            403,
        ),
    ];
    for (why, token, status) in refused {
        let reply = as_caller(server, token).get("/api/v1/students").await;
        assert_eq!(reply.status, status, "{why}: {}", reply.text());
    }
    // The router's own tokens still work beside the provider's.
    assert_eq!(server.http.get("/api/v1/students").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_on_sqlite() {
    let idp = FakeIdp::start(&["rsa-a", "ec", "ed"]).await;
    let temp = TempDir::new();
    let mut vars = temp.sqlite();
    vars.extend(sso(&idp));
    let server = ProcessInstance::spawn(&vars).await;
    single_sign_on(&idp, &server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_on_postgres() {
    let idp = FakeIdp::start(&["rsa-a", "ec", "ed"]).await;
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.extend(sso(&idp));
    let server = ProcessInstance::spawn(&vars).await;
    single_sign_on(&idp, &server).await;
    drop(server);
    db.drop_database().await;
}
