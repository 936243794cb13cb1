//! Authentication: who is calling, from a bearer JWT or an API key.
//!
//! An [`Authenticator`] turns request headers into a [`Principal`]; [`Credentials`] is the
//! built-in one (JWT and API keys). [`AuthLayer`] runs it in front of a router and puts the
//! principal into the request's extensions, where the [`Caller`] extractor finds it.
//! Authorization (which roles may do what) stays with core's policy.

mod api_key;
mod jwt;
mod layer;
mod token;
mod verified;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use campushub_core::accounts::TokenRevoker;
use campushub_core::{Error, Principal, Result};

pub use api_key::{ApiKeys, API_KEY_HEADER};
pub use jwt::{Claims, JwtVerifier, MintedToken, TokenMinter, MIN_HS256_SECRET};
pub use layer::{AuthLayer, AuthService};
pub use token::VerifiedToken;

/// Finds the principal behind a request's credentials.
pub trait Authenticator: Send + Sync + 'static {
    /// The principal, or [`Error::Unauthenticated`] saying why not.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal>;
}

impl<A: Authenticator + ?Sized> Authenticator for std::sync::Arc<A> {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        (**self).authenticate(headers)
    }
}

/// The built-in authenticator: `Authorization: Bearer <JWT>` and/or `X-Api-Key`; a bearer
/// token whose id (`jti`) was revoked is refused.
#[derive(Default)]
pub struct Credentials {
    jwt: Option<JwtVerifier>,
    api_keys: ApiKeys,
    revoked: Option<Arc<dyn TokenRevoker>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("jwt", &self.jwt)
            .field("api_keys", &self.api_keys)
            .field("revocations", &self.revoked.is_some())
            .finish()
    }
}

impl Credentials {
    /// Accepts nothing until a verifier or keys are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts bearer tokens that `verifier` accepts.
    pub fn jwt(mut self, verifier: JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }

    /// Accepts the API keys of `keys`.
    pub fn api_keys(mut self, keys: ApiKeys) -> Self {
        self.api_keys = keys;
        self
    }

    /// Refuses bearer tokens whose `jti` `revoked` says was revoked (logout).
    pub fn revocations(mut self, revoked: Arc<dyn TokenRevoker>) -> Self {
        self.revoked = Some(revoked);
        self
    }

    /// The bearer token of `headers`, if they carry one (`None` without an `Authorization`
    /// header; an error for one that is not `Bearer <token>`).
    pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>> {
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        authorization
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .map(Some)
            .ok_or_else(|| {
                Error::Unauthenticated("the Authorization header is not `Bearer <token>`".into())
            })
    }
}

impl Authenticator for Credentials {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        if let Some(key) = headers.get(&API_KEY_HEADER) {
            let key = key
                .to_str()
                .map_err(|_| Error::Unauthenticated("the API key is not valid".into()))?;
            return self.api_keys.principal(key);
        }
        let Some(token) = Credentials::bearer(headers)? else {
            return Err(Error::Unauthenticated(
                "send `Authorization: Bearer <token>` or `X-Api-Key`".into(),
            ));
        };
        let Some(verifier) = &self.jwt else {
            return Err(Error::Unauthenticated(
                "bearer tokens are not accepted here".into(),
            ));
        };
        let verified = verifier.verify_token(token)?;
        if let (Some(revoked), Some(jti)) = (&self.revoked, &verified.jti) {
            if revoked.is_revoked(jti) {
                return Err(Error::Unauthenticated(
                    "the token was revoked (signed out); sign in again".into(),
                ));
            }
        }
        Ok(verified.principal)
    }
}

/// The authenticated principal of the request (401 when the auth layer did not run or let
/// the request through unauthenticated).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = crate::problem::Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| Error::Unauthenticated("no credentials".into()).into())
    }
}
