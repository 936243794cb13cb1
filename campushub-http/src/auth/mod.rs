//! Authentication: who is calling, from a bearer JWT or an API key.
//!
//! An [`Authenticator`] turns request headers into a [`Principal`]; [`Credentials`] is the
//! built-in one (JWT, API keys and, with the `oidc` feature, identity providers' tokens). [`AuthLayer`] runs it in front of a router and puts the
//! principal into the request's extensions, where the [`Caller`] extractor finds it.
//! Authorization (which roles may do what) stays with core's policy.

mod api_key;
mod jwt;
mod layer;
#[cfg(feature = "oidc")]
mod oidc;
mod token;
mod verified;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use futures::future::BoxFuture;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use campushub_core::accounts::TokenRevoker;
use campushub_core::{Error, Principal, Result};

pub use api_key::{ApiKeys, API_KEY_HEADER};
pub use jwt::{Claims, JwtVerifier, MintedToken, TokenMinter, MIN_HS256_SECRET};
pub use layer::{AuthLayer, AuthService};
#[cfg(feature = "oidc")]
pub use oidc::{ClaimMapping, OidcProvider, OidcProviderBuilder};
pub use token::VerifiedToken;

/// Finds the principal behind a request's credentials.
pub trait Authenticator: Send + Sync + 'static {
    /// The principal, or [`Error::Unauthenticated`] saying why not, decided without waiting
    /// for anything.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal>;

    /// The principal, possibly after some I/O: what [`AuthLayer`] asks. An authenticator
    /// that sometimes must fetch something first (an identity provider's new signing key)
    /// answers [`Authentication::Pending`] then, and [`Authentication::Ready`] otherwise, so
    /// that the common request allocates no future. The default answers
    /// [`Authenticator::authenticate`] at once.
    fn authentication(&self, headers: &HeaderMap) -> Authentication {
        Authentication::Ready(self.authenticate(headers))
    }
}

impl<A: Authenticator + ?Sized> Authenticator for std::sync::Arc<A> {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        (**self).authenticate(headers)
    }

    fn authentication(&self, headers: &HeaderMap) -> Authentication {
        (**self).authentication(headers)
    }
}

/// What [`Authenticator::authentication`] decided.
pub enum Authentication {
    /// Decided now.
    Ready(Result<Principal>),
    /// To be decided once the future completes (it owns what it needs).
    Pending(BoxFuture<'static, Result<Principal>>),
}

impl Authentication {
    /// The decision, waiting for it if needed.
    pub async fn decided(self) -> Result<Principal> {
        match self {
            Authentication::Ready(decided) => decided,
            Authentication::Pending(pending) => pending.await,
        }
    }
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authentication::Ready(decided) => f.debug_tuple("Ready").field(decided).finish(),
            Authentication::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// The built-in authenticator: `Authorization: Bearer <JWT>` and/or `X-Api-Key`; a bearer
/// token whose id (`jti`) was revoked is refused.
///
/// With identity providers added ([`Credentials::oidc`], feature `oidc`), a bearer token
/// whose (unverified) `iss` names one of them goes to that provider; every other token to
/// the JWT verifier.
#[derive(Default)]
pub struct Credentials {
    jwt: Option<JwtVerifier>,
    api_keys: ApiKeys,
    revoked: Option<Arc<dyn TokenRevoker>>,
    #[cfg(feature = "oidc")]
    providers: Vec<OidcProvider>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("jwt", &self.jwt)
            .field("api_keys", &self.api_keys)
            .field("revocations", &self.revoked.is_some())
            .finish_non_exhaustive()
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

    /// Also accepts the access tokens `provider` issues (those whose `iss` is its issuer).
    #[cfg(feature = "oidc")]
    #[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
    pub fn oidc(mut self, provider: OidcProvider) -> Self {
        self.providers.push(provider);
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

/// What a request presented: an API key (already looked up) or a bearer token (to verify).
enum Presented<'h> {
    Key(Principal),
    Bearer(&'h str),
}

impl Credentials {
    /// The principal of a request's API key (in `X-Api-Key`, or a bearer token that is not a
    /// JWT), else its bearer token.
    fn presented<'h>(&self, headers: &'h HeaderMap) -> Result<Presented<'h>> {
        if let Some(key) = headers.get(&API_KEY_HEADER) {
            let key = key
                .to_str()
                .map_err(|_| Error::Unauthenticated("the API key is not valid".into()))?;
            return self.api_keys.principal(key).map(Presented::Key);
        }
        match Credentials::bearer(headers)? {
            // A JWT always has dots (three parts); a bearer without one is an API key, sent
            // the only way some clients can send a credential (Prometheus before 2.55 sets
            // `Authorization` but no other header).
            Some(token) if !token.contains('.') => {
                self.api_keys.principal(token).map(Presented::Key)
            }
            Some(token) => Ok(Presented::Bearer(token)),
            None => Err(Error::Unauthenticated(
                "send `Authorization: Bearer <token>` or `X-Api-Key`".into(),
            )),
        }
    }

    /// The identity provider that issued `token`, if it names one of ours.
    #[cfg(feature = "oidc")]
    fn provider_of(&self, token: &str) -> Option<&OidcProvider> {
        if self.providers.is_empty() {
            return None;
        }
        let issuer = oidc::unverified_issuer(token)?;
        self.providers.iter().find(|p| p.issuer() == issuer)
    }

    /// The principal of a bearer token for the JWT verifier.
    fn verify_own(&self, token: &str) -> Result<Principal> {
        let Some(verifier) = &self.jwt else {
            return Err(Error::Unauthenticated(
                "bearer tokens are not accepted here".into(),
            ));
        };
        let verified = verifier.verify_token(token)?;
        if let Some(revoked) = &self.revoked {
            if verified
                .jti
                .as_deref()
                .is_some_and(|jti| revoked.is_revoked(jti))
            {
                return Err(Error::Unauthenticated(
                    "the token was revoked (signed out); sign in again".into(),
                ));
            }
            let account_changed = verified.ver.is_some_and(|version| {
                revoked.is_account_revoked(&verified.principal.subject, version)
            });
            if account_changed {
                return Err(Error::Unauthenticated(
                    "the account changed since the token was issued; refresh it or sign in again"
                        .into(),
                ));
            }
        }
        Ok(verified.principal)
    }
}

impl Authenticator for Credentials {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Principal> {
        let token = match self.presented(headers)? {
            Presented::Bearer(token) => token,
            Presented::Key(principal) => return Ok(principal),
        };
        #[cfg(feature = "oidc")]
        if let Some(provider) = self.provider_of(token) {
            return provider.verify_known(token);
        }
        self.verify_own(token)
    }

    fn authentication(&self, headers: &HeaderMap) -> Authentication {
        let token = match self.presented(headers) {
            Ok(Presented::Bearer(token)) => token,
            Ok(Presented::Key(principal)) => return Authentication::Ready(Ok(principal)),
            Err(error) => return Authentication::Ready(Err(error)),
        };
        #[cfg(feature = "oidc")]
        if let Some(provider) = self.provider_of(token) {
            return provider.verify(token);
        }
        Authentication::Ready(self.verify_own(token))
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
