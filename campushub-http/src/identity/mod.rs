//! Sign-in routes and the users resource, for a router given an [`Identity`]:
//! `POST /api/v1/auth/login`, `POST /api/v1/auth/refresh` (both open: they take credentials in
//! the body, or the refresh-token cookie), `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`
//! and `POST /api/v1/auth/password` (with the access token), `/api/v1/users` (the `user` kind,
//! through the same resource routes as every kind) and `POST /api/v1/users/{id}/password`
//! (an administrator's reset).
//!
//! A login answers a short-lived access token (a JWT minted by [`TokenMinter`], with a `jti`
//! and the sign-in's id as `sid`) and an opaque refresh token ([`SignIn`] stores its hash);
//! a refresh rotates the refresh token; a logout revokes the sign-in's refresh tokens and
//! puts the access token's `jti` on the deny list ([`TokenRevoker`]) until it expires.

mod bodies;
mod client;
mod cookie;
mod password;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use campushub_core::accounts::{SignIn, TokenRevoker};
use campushub_core::scope::RecordLinks;
use campushub_core::{EntityService, Faculty, ReadOptions, Repository, Result, User};

use crate::auth::{JwtVerifier, TokenMinter};

pub use bodies::{
    ChangePasswordRequest, LoginRequest, LogoutRequest, Me, RefreshRequest, ResetPasswordRequest,
    TokenResponse,
};
pub(crate) use routes::{authenticated_routes, open_routes};

/// What the sign-in routes need; give it to the router with
/// [`ApiState::identity`](crate::ApiState::identity).
pub struct Identity {
    pub(crate) users: EntityService<User>,
    pub(crate) sign_in: SignIn,
    pub(crate) minter: TokenMinter,
    pub(crate) verifier: JwtVerifier,
    pub(crate) revoker: Arc<dyn TokenRevoker>,
    pub(crate) access_ttl: Duration,
    pub(crate) trust_forwarded_for: bool,
    pub(crate) faculty: Option<Arc<dyn Repository<Faculty>>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("sign_in", &self.sign_in)
            .field("access_ttl", &self.access_ttl)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("linked_records", &self.faculty.is_some())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The default lifetime of an access token: 15 minutes.
    pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);

    /// Sign-in over `sign_in`, serving the accounts of `users`, minting access tokens with
    /// `minter` that `verifier` (the router's authenticator's verifier) accepts, and revoking
    /// them through `revoker` (the same one the authenticator asks).
    pub fn new(
        users: EntityService<User>,
        sign_in: SignIn,
        minter: TokenMinter,
        verifier: JwtVerifier,
        revoker: Arc<dyn TokenRevoker>,
    ) -> Self {
        Identity {
            users,
            sign_in,
            minter,
            verifier,
            revoker,
            access_ttl: Self::DEFAULT_ACCESS_TTL,
            trust_forwarded_for: false,
            faculty: None,
        }
    }

    /// Resolves, at each sign-in (login and refresh), the department of an account's linked
    /// faculty record from `faculty`, into the access token's `department_id` claim, which a
    /// department scope reads
    /// ([`RolePolicy::faculty_department_scope`](campushub_core::RolePolicy::faculty_department_scope)).
    /// Without it, tokens carry the account's `student_id` and `faculty_id` only.
    ///
    /// One read per sign-in, none per request; a faculty member who moves department reads
    /// the old one's students until the access token expires (15 minutes by default).
    pub fn linked_records(mut self, faculty: Arc<dyn Repository<Faculty>>) -> Self {
        self.faculty = Some(faculty);
        self
    }

    /// The record links of `user`'s tokens.
    pub(crate) async fn links(&self, user: &User) -> Result<RecordLinks> {
        let department_id = match (&self.faculty, user.faculty_id) {
            (Some(faculty), Some(id)) => faculty
                .get(id, &ReadOptions::default())
                .await?
                .and_then(|member| member.department_id),
            _ => None,
        };
        Ok(RecordLinks {
            student_id: user.student_id,
            faculty_id: user.faculty_id,
            department_id,
        })
    }

    /// Access tokens live `ttl` (default [`Identity::DEFAULT_ACCESS_TTL`]).
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// Whether the client address the login throttle counts is the last `X-Forwarded-For`
    /// entry (behind a proxy that appends it) rather than the connection's peer (default
    /// false: a client could send any `X-Forwarded-For` itself).
    pub fn trust_forwarded_for(mut self, trust: bool) -> Self {
        self.trust_forwarded_for = trust;
        self
    }

    /// The users service.
    pub fn users(&self) -> &EntityService<User> {
        &self.users
    }
}
