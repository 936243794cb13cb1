//! The sign-in handlers: login and refresh (open), logout and me (authenticated).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use campushub_core::accounts::{RefreshSecret, SignedIn};
use campushub_core::password::Password;
use campushub_core::{Error, Result};
use serde_json::Value;
use uuid::Uuid;

use super::bodies::{text, Me, TokenResponse};
use super::client::ClientAddress;
use super::Identity;
use super::{cookie, password};
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
    router = route_with_trailing_slash(
        router,
        &format!("{API_PREFIX}/auth/password"),
        post(password::change),
    );
    router = route_with_trailing_slash(
        router,
        &format!("{API_PREFIX}/users/{{id}}/password"),
        post(password::reset),
    );
    router
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(identity)
}

/// Where a login or refresh hands the refresh token: in the body, or in a cookie (see
/// `cookie.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Body,
    Cookie,
}

async fn login(
    State(identity): State<Arc<Identity>>,
    ClientAddress(client): ClientAddress,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let email = text(&body, "email")?;
    let password = Password::new(text(&body, "password")?);
    let delivery = match body.get("refresh_cookie") {
        None | Some(Value::Bool(false)) => Delivery::Body,
        Some(Value::Bool(true)) => Delivery::Cookie,
        Some(_) => {
            return Err(Problem::invalid(
                "refresh_cookie",
                "Must be a valid boolean.",
            ))
        }
    };
    let signed = identity
        .sign_in
        .login(&email, password, client.as_deref())
        .await?;
    Ok(tokens(&identity, signed, delivery).await?)
}

/// Rotates the refresh token of the body, or else of the cookie (answering in kind).
async fn refresh(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    // A token absent (or `null`) in the body is looked for in the cookie; with neither, the
    // caller presented no credentials: `401`, as for a token that is not valid.
    let (presented, delivery) = match body.get("refresh_token") {
        None | Some(Value::Null) => match cookie::from_request(&headers) {
            Some(from_cookie) => (from_cookie, Delivery::Cookie),
            None => {
                return Err(Error::Unauthenticated(
                    "no refresh token: send `refresh_token`, or the cookie a login with \
                     `refresh_cookie` set"
                        .into(),
                )
                .into())
            }
        },
        Some(_) => (text(&body, "refresh_token")?, Delivery::Body),
    };
    let signed = identity
        .sign_in
        .refresh(&RefreshSecret::new(presented))
        .await?;
    Ok(tokens(&identity, signed, delivery).await?)
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
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(clear) = cookie::clear() {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    Ok(response)
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

/// The token response of a login or refresh, the refresh token delivered as asked: the
/// access token carries the account's record links, the faculty record's department resolved
/// now (see [`Identity::linked_records`]).
async fn tokens(identity: &Identity, signed: SignedIn, delivery: Delivery) -> Result<Response> {
    let user = &signed.user;
    let links = identity.links(user).await?;
    let minted = identity.minter.mint_session(
        &user.meta.id.to_string(),
        user.meta.version,
        &user.role_list(),
        &links,
        identity.access_ttl,
        &signed.family.to_string(),
    )?;
    let refresh_expires_in = (signed.refresh_expires_at - campushub_core::meta::now_micros())
        .num_seconds()
        .max(0);
    let refresh_expires_in = u64::try_from(refresh_expires_in).unwrap_or(0);
    let refresh = signed.refresh.expose();
    let mut response = json_ok(&TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: identity.access_ttl.as_secs(),
        refresh_token: (delivery == Delivery::Body).then(|| refresh.to_owned()),
        refresh_expires_in,
    })
    .map_err(|problem| Error::Internal {
        message: problem.detail,
        source: None,
    })?;
    if delivery == Delivery::Cookie {
        let cookie = cookie::set(refresh, refresh_expires_in).ok_or_else(|| Error::Internal {
            message: "the refresh token is not cookie text".into(),
            source: None,
        })?;
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
