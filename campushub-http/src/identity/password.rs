//! The password routes: `POST /auth/password` (the signed-in account changes its own,
//! proving it knows the current one) and `POST /users/{id}/password` (an administrator sets
//! one, for an account whose owner lost theirs). Both revoke every sign-in of the account;
//! neither answers, stores in clear or logs a password.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use campushub_core::password::Password;
use campushub_core::{Action, EntityKind, Error};
use uuid::Uuid;

use super::bodies::text;
use super::client::ClientAddress;
use super::cookie;
use super::Identity;
use crate::auth::Caller;
use crate::extract::{EntityId, JsonObject};
use crate::problem::ApiResult;

/// Changes the caller's own password (`current_password`, `new_password`); the caller signs
/// in again. Only a login's access token names an account: an API key or another issuer's
/// token is refused with `403`.
pub(super) async fn change(
    State(identity): State<Arc<Identity>>,
    Caller(principal): Caller,
    ClientAddress(client): ClientAddress,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let current = Password::new(text(&body, "current_password")?);
    let new = Password::new(text(&body, "new_password")?);
    let Ok(user_id) = Uuid::parse_str(&principal.subject) else {
        return Err(Error::Forbidden(
            "only an account signed in with its password can change it".into(),
        )
        .into());
    };
    identity
        .sign_in
        .change_password(&principal, user_id, current, new, client.as_deref())
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(clear) = cookie::clear() {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    Ok(response)
}

/// Sets the password of account `id` (`password`), for callers who may update accounts
/// (admins by default).
pub(super) async fn reset(
    State(identity): State<Arc<Identity>>,
    Caller(principal): Caller,
    EntityId(id): EntityId,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    identity
        .users
        .policy()
        .authorize(&principal, EntityKind::USER, Action::Update)?;
    let password = Password::new(text(&body, "password")?);
    identity
        .sign_in
        .reset_password(&principal, id, password)
        .await?;
    tracing::info!(account = %id, by = %principal.subject, "password reset by an administrator");
    Ok(StatusCode::NO_CONTENT.into_response())
}
