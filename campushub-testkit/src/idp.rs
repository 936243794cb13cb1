//! [`FakeIdp`]: an OpenID Connect identity provider for tests, on a loopback port: a discovery
//! document and a JWKS publishing the keys the test chooses, a count of JWKS fetches, an
//! outage switch, and tokens signed with its test keys (`keys/`: RS256 `rsa-a` and `rsa-b`,
//! ES256 `ec`, EdDSA `ed`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The audience [`FakeIdp::token`] puts into tokens unless told otherwise.
pub const AUDIENCE: &str = "campushub-api";

/// The fake provider. Clones share it.
#[derive(Debug, Clone)]
pub struct FakeIdp {
    issuer: String,
    published: Arc<Mutex<Vec<&'static str>>>,
    fetches: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl FakeIdp {
    /// Serves discovery and the JWKS on a loopback port, publishing the keys `kids`. The
    /// issuer is `http://127.0.0.1:<port>/realms/campus`.
    ///
    /// # Panics
    /// When no loopback port can be bound (a test environment failure).
    pub async fn start(kids: &[&'static str]) -> FakeIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("local address");
        let idp = FakeIdp {
            issuer: format!("http://{address}/realms/campus"),
            published: Arc::new(Mutex::new(kids.to_vec())),
            fetches: Arc::new(AtomicUsize::new(0)),
            down: Arc::new(AtomicBool::new(false)),
        };
        let routes = Router::new()
            .route(
                "/realms/campus/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/realms/campus/certs", get(jwks))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, routes).await });
        idp
    }

    /// The issuer URL (discovery is under it).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/certs", self.issuer)
    }

    /// From now on, publishes exactly the keys `kids`.
    pub fn publish(&self, kids: &[&'static str]) {
        if let Ok(mut published) = self.published.lock() {
            *published = kids.to_vec();
        }
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Whether the JWKS answers `503`.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// A token signed with key `kid`: `sub`, `iss`, `aud` ([`AUDIENCE`]), `iat`, `exp` (in
    /// five minutes) and `groups: ["erp-registrars"]`, each replaced or removed (`null`) by
    /// `claims`.
    ///
    /// # Panics
    /// For a key id the fake has no private key of.
    pub fn token(&self, kid: &str, claims: Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut all = json!({
            "sub": "f81d4fae-7dec", "iss": self.issuer, "aud": AUDIENCE,
            "iat": now, "exp": now + 300, "groups": ["erp-registrars"],
        });
        if let (Some(all), Value::Object(extra)) = (all.as_object_mut(), claims) {
            for (name, value) in extra {
                if value.is_null() {
                    all.remove(&name);
                } else {
                    all.insert(name, value);
                }
            }
        }
        let (key, algorithm) = signing_key(kid);
        let mut header = Header::new(algorithm);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &all, &key).expect("sign a test token")
    }

    /// The public JWK of key `kid` (`Value::Null` for an unknown one).
    pub fn public_key(kid: &str) -> Value {
        public_keys()[kid].clone()
    }
}

/// The public keys, by key id.
fn public_keys() -> Value {
    serde_json::from_str(include_str!("../keys/public.json")).unwrap_or(Value::Null)
}

/// The private key of `kid` and its algorithm.
fn signing_key(kid: &str) -> (EncodingKey, Algorithm) {
    let (key, algorithm) = match kid {
        "rsa-a" => (
            EncodingKey::from_rsa_pem(include_bytes!("../keys/rsa-a.pem")),
            Algorithm::RS256,
        ),
        "rsa-b" => (
            EncodingKey::from_rsa_pem(include_bytes!("../keys/rsa-b.pem")),
            Algorithm::RS256,
        ),
        "ec" => (
            EncodingKey::from_ec_pem(include_bytes!("../keys/ec.pem")),
            Algorithm::ES256,
        ),
        "ed" => (
            EncodingKey::from_ed_pem(include_bytes!("../keys/ed.pem")),
            Algorithm::EdDSA,
        ),
        other => panic!("the fake identity provider has no key `{other}`"),
    };
    (key.expect("a test private key"), algorithm)
}

async fn discovery(State(idp): State<FakeIdp>) -> Json<Value> {
    Json(json!({"issuer": idp.issuer, "jwks_uri": idp.jwks_url()}))
}

async fn jwks(State(idp): State<FakeIdp>) -> Response {
    idp.fetches.fetch_add(1, Ordering::SeqCst);
    if idp.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let all = public_keys();
    let keys: Vec<Value> = match idp.published.lock() {
        Ok(published) => published.iter().map(|kid| all[*kid].clone()).collect(),
        Err(_) => Vec::new(),
    };
    Json(json!({ "keys": keys })).into_response()
}
