//! The sign-in handlers: login and refresh (open), logout and me (authenticated).

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use campushub_core::accounts::{RefreshSecret, SignedIn};
use campushub_core::password::Password;
use campushub_core::{Error, Result};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::bodies::{Me, TokenResponse};
use super::client::client_address;
use super::Identity;
use crate::auth::{Caller, Credentials};
use crate::extract::JsonObject;
use crate::list::json_ok;
use crate::problem::{ApiResult, Problem};
use crate::routing::{method_not_allowed, route_with_trailing_slash, API_PREFIX};

/// `/auth/login` and `/auth/refresh`: they take their credentials in the body, so they sit
/// outside the authentication layer.
pub(crate) fn open_routes(identity: Arc<Identity>) -> Router {
    let mut router = Router::new();
    router = route_with_trailing_slash(router, &format!("{API_PREFIX}/auth/login"), post(login));
    router =
        route_with_trailing_slash(router, &format!("{API_PREFIX}/auth/refresh"), post(refresh));
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(identity)
}

/// `/auth/logout` and `/auth/me`, behind the authentication layer.
pub(crate) fn authenticated_routes(identity: Arc<Identity>) -> Router {
    let mut router = Router::new();
    router = route_with_trailing_slash(router, &format!("{API_PREFIX}/auth/logout"), post(logout));
    router = route_with_trailing_slash(router, &format!("{API_PREFIX}/auth/me"), get(me));
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(identity)
}

/// The client address the throttle counts (see `client.rs`).
struct ClientAddress(Option<String>);

impl FromRequestParts<Arc<Identity>> for ClientAddress {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        identity: &Arc<Identity>,
    ) -> std::result::Result<Self, Problem> {
        Ok(ClientAddress(client_address(
            parts,
            identity.trust_forwarded_for,
        )))
    }
}

async fn login(
    State(identity): State<Arc<Identity>>,
    ClientAddress(client): ClientAddress,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let email = text(&body, "email")?;
    let password = Password::new(text(&body, "password")?);
    let signed = identity
        .sign_in
        .login(&email, password, client.as_deref())
        .await?;
    Ok(tokens(&identity, signed).await?)
}

async fn refresh(
    State(identity): State<Arc<Identity>>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let presented = RefreshSecret::new(text(&body, "refresh_token")?);
    let signed = identity.sign_in.refresh(&presented).await?;
    Ok(tokens(&identity, signed).await?)
}

/// Revokes the caller's sign-in (its refresh tokens) and the access token itself, on every
/// instance. A caller without a bearer token (an API key) has nothing to revoke.
async fn logout(
    State(identity): State<Arc<Identity>>,
    Caller(_): Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = Credentials::bearer(&headers)? {
        let verified = identity.verifier.verify_token(token)?;
        if let Some(family) = verified
            .sid
            .as_deref()
            .and_then(|sid| Uuid::parse_str(sid).ok())
        {
            identity.sign_in.logout(family).await?;
        }
        if let Some(jti) = &verified.jti {
            identity.revoker.revoke(jti, verified.exp).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(
    State(identity): State<Arc<Identity>>,
    Caller(principal): Caller,
) -> ApiResult<Response> {
    let user = match Uuid::parse_str(&principal.subject) {
        Ok(id) => identity.sign_in.user(id).await?,
        Err(_) => None,
    };
    json_ok(&Me {
        roles: principal
            .roles
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        subject: principal.subject,
        user,
    })
}

/// The token response of a login or refresh: the access token carries the account's record
/// links, the faculty record's department resolved now (see [`Identity::linked_records`]).
async fn tokens(identity: &Identity, signed: SignedIn) -> Result<Response> {
    let user = &signed.user;
    let links = identity.links(user).await?;
    let minted = identity.minter.mint_session(
        &user.meta.id.to_string(),
        &user.role_list(),
        &links,
        identity.access_ttl,
        &signed.family.to_string(),
    )?;
    let refresh_expires_in = (signed.refresh_expires_at - campushub_core::meta::now_micros())
        .num_seconds()
        .max(0);
    json_ok(&TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: identity.access_ttl.as_secs(),
        refresh_token: signed.refresh.expose().to_owned(),
        refresh_expires_in: u64::try_from(refresh_expires_in).unwrap_or(0),
    })
    .map_err(|problem| Error::Internal {
        message: problem.detail,
        source: None,
    })
}

/// The string member `name` of `body`: missing or not a string is a 400 naming it.
fn text(body: &Map<String, Value>, name: &str) -> std::result::Result<String, Problem> {
    match body.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        Some(Value::String(_)) => Err(Problem::invalid(name, "This field may not be blank.")),
        Some(_) => Err(Problem::invalid(name, "Expected a string.")),
        None => Err(Problem::invalid(name, "This field is required.")),
    }
}
