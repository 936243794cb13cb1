//! The sign-in routes in the document (when the router serves them): login and refresh open,
//! logout and me with the access token, and their bodies as named schemas.

use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{OpenApi, Ref, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use super::add;
use super::names::operation_id;
use super::parts::{body, json, op, open, problem};
use crate::identity::{
    ChangePasswordRequest, LoginRequest, Me, RefreshRequest, ResetPasswordRequest, TokenResponse,
};
use crate::routing::API_PREFIX;

/// Adds `/auth/login`, `/auth/refresh`, `/auth/logout` and `/auth/me` to `document`.
pub fn add_sign_in(document: &mut OpenApi) {
    let paths = &mut document.paths;
    let tokens = || {
        json(
            "An access token and a refresh token",
            Ref::from_schema_name(TokenResponse::name()),
        )
    };
    add(
        paths,
        &format!("{API_PREFIX}/auth/login"),
        HttpMethod::Post,
        open("auth", "Sign in with an email and a password")
            .operation_id(Some(operation_id("auth", "login")))
            .description(Some(
                "Answers a short-lived access token and a refresh token. Every refusal is the \
                 same `401` whether or not the account exists; after repeated failures for the \
                 account or from the client's address, a `429` with `Retry-After`.",
            ))
            .request_body(Some(body(Ref::from_schema_name(LoginRequest::name()))))
            .response("200", tokens())
            .response("400", problem())
            .response("401", problem())
            .response("415", problem())
            .response("429", problem()),
    );
    add(
        paths,
        &format!("{API_PREFIX}/auth/refresh"),
        HttpMethod::Post,
        open(
            "auth",
            "New tokens for a refresh token (which then stops working)",
        )
        .operation_id(Some(operation_id("auth", "refresh")))
        .description(Some(
            "Rotates the refresh token: the one sent (in the body, or else in the \
                 `campushub_refresh` cookie a login with `refresh_cookie` set) is used up, and \
                 the next one is answered the same way. Sending a used one again revokes every \
                 token of its sign-in (`401`); sending none is a `401` too.",
        ))
        .request_body(Some(body(Ref::from_schema_name(RefreshRequest::name()))))
        .response("200", tokens())
        .response("400", problem())
        .response("401", problem())
        .response("415", problem()),
    );
    add(
        paths,
        &format!("{API_PREFIX}/auth/logout"),
        HttpMethod::Post,
        op(
            "auth",
            "Sign out: revoke this sign-in and its access token",
            &[],
        )
        .operation_id(Some(operation_id("auth", "logout")))
        .response(
            "204",
            ResponseBuilder::new().description("Signed out").build(),
        ),
    );
    add(
        paths,
        &format!("{API_PREFIX}/auth/me"),
        HttpMethod::Get,
        op("auth", "Who the access token says the caller is", &[])
            .operation_id(Some(operation_id("auth", "me")))
            .response("200", json("The caller", Ref::from_schema_name(Me::name()))),
    );
    let signed_out = || {
        ResponseBuilder::new()
            .description("Done; every sign-in of the account is revoked")
            .build()
    };
    add(
        paths,
        &format!("{API_PREFIX}/auth/password"),
        HttpMethod::Post,
        op(
            "auth",
            "Change the signed-in account's password",
            &[400, 415, 429],
        )
        .operation_id(Some(operation_id("auth", "change_password")))
        .description(Some(
            "Needs the current password; a wrong one counts as a failed login (`401`, then \
                 `429` while locked). Revokes every sign-in of the account: sign in again. Only \
                 a login's access token names an account (`403` otherwise).",
        ))
        .request_body(Some(body(Ref::from_schema_name(
            ChangePasswordRequest::name(),
        ))))
        .response("204", signed_out()),
    );
    add(
        paths,
        &format!("{API_PREFIX}/users/{{id}}/password"),
        HttpMethod::Post,
        op(
            "users",
            "Set an account's password (an administrator's reset)",
            &[400, 404, 415],
        )
        .operation_id(Some(operation_id("users", "reset_password")))
        .description(Some(
            "For callers who may update accounts. The password is never sent anywhere: \
                 hand it to the account's owner yourself. Revokes every sign-in of the account.",
        ))
        .parameter(super::parts::id_parameter())
        .request_body(Some(body(Ref::from_schema_name(
            ResetPasswordRequest::name(),
        ))))
        .response("204", signed_out()),
    );
    let components = document.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (
            ChangePasswordRequest::name(),
            ChangePasswordRequest::schema(),
        ),
        (ResetPasswordRequest::name(), ResetPasswordRequest::schema()),
        (LoginRequest::name(), LoginRequest::schema()),
        (RefreshRequest::name(), RefreshRequest::schema()),
        (TokenResponse::name(), TokenResponse::schema()),
        (Me::name(), Me::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
}
