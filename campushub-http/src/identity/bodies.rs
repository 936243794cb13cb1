//! The bodies of the sign-in routes, as the OpenAPI document names them.

use campushub_core::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::problem::Problem;
use utoipa::ToSchema;

/// `POST /auth/login`.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email (any case).
    #[schema(min_length = 1)]
    pub email: String,
    /// The password.
    #[schema(min_length = 1)]
    pub password: String,
    /// `true`: set the refresh token as an `HttpOnly; Secure; SameSite=Strict` cookie on
    /// `/auth/refresh` instead of answering it in the body (for single-page apps, whose
    /// scripts then never hold it). Default `false`.
    #[serde(default)]
    pub refresh_cookie: bool,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("refresh_cookie", &self.refresh_cookie)
            .finish()
    }
}

/// `POST /auth/refresh`.
#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh; omit it (send `{}`) when the login
    /// asked for the refresh-token cookie, which the browser then sends. Neither: `401`.
    #[schema(min_length = 1)]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: [redacted] }")
    }
}

/// `POST /auth/password`: the signed-in account's new password.
#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// The password in force.
    #[schema(min_length = 1)]
    pub current_password: String,
    /// The new password: 12 to 256 characters, not the account's email.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest { [redacted] }")
    }
}

/// `POST /users/{id}/password`: the password an administrator sets.
#[derive(Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    /// The new password: 12 to 256 characters, not the account's email.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetPasswordRequest { [redacted] }")
    }
}

/// `POST /auth/logout`: nothing is required; the access token names the sign-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LogoutRequest {}

/// The tokens a login or refresh answers.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token: send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
    /// The refresh token: send it to `/auth/refresh` for new tokens. It works once. Absent
    /// when it was set as a cookie (`refresh_cookie`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds the refresh token is valid for.
    pub refresh_expires_in: u64,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `GET /auth/me`: who the access token says the caller is, and their account if the token
/// came from a login.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's subject (an account's id for tokens from a login).
    pub subject: String,
    /// The token's roles.
    pub roles: Vec<String>,
    /// The account, as stored now; `null` for tokens not issued to an account (API keys,
    /// the `token` command, another issuer).
    #[schema(schema_with = user_or_null)]
    pub user: Option<User>,
}

/// The `User` record schema (the users resource names it), or `null`.
fn user_or_null() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    use utoipa::openapi::Ref;
    OneOfBuilder::new()
        .item(Ref::from_schema_name("User"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// The string member `name` of `body`: missing or not a string is a 400 naming it.
pub(super) fn text(body: &Map<String, Value>, name: &str) -> Result<String, Problem> {
    match body.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        Some(Value::String(_)) => Err(Problem::invalid(name, "This field may not be blank.")),
        Some(_) => Err(Problem::invalid(name, "Expected a string.")),
        None => Err(Problem::invalid(name, "This field is required.")),
    }
}
