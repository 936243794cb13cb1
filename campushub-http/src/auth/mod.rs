//! Authentication: who is calling, from a bearer JWT or an API key.
//!
//! An [`Authenticator`] turns request headers into a [`Principal`]; [`Credentials`] is the
//! built-in one (JWT and API keys). [`AuthLayer`] runs it in front of a router and puts the
//! principal into the request's extensions, where the [`Caller`] extractor finds it.
//! Authorization (which roles may do what) stays with core's policy.

mod api_key;
mod jwt;
mod layer;
mod verified;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use campushub_core::{Error, Principal, Result};

pub use api_key::{ApiKeys, API_KEY_HEADER};
pub use jwt::{Claims, JwtVerifier, TokenMinter, MIN_HS256_SECRET};
pub use layer::{AuthLayer, AuthService};

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

/// The built-in authenticator: `Authorization: Bearer <JWT>` and/or `X-Api-Key`.
#[derive(Debug, Default)]
pub struct Credentials {
    jwt: Option<JwtVerifier>,
    api_keys: ApiKeys,
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
}

impl Authenticator for Credentials {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        if let Some(key) = headers.get(&API_KEY_HEADER) {
            let key = key
                .to_str()
                .map_err(|_| Error::Unauthenticated("the API key is not valid".into()))?;
            return self.api_keys.principal(key);
        }
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Err(Error::Unauthenticated(
                "send `Authorization: Bearer <token>` or `X-Api-Key`".into(),
            ));
        };
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| {
                Error::Unauthenticated("the Authorization header is not `Bearer <token>`".into())
            })?;
        match &self.jwt {
            Some(verifier) => verifier.verify(token),
            None => Err(Error::Unauthenticated(
                "bearer tokens are not accepted here".into(),
            )),
        }
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
