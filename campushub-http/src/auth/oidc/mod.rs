//! [`OidcProvider`]: access tokens from an OpenID Connect identity provider (Keycloak, Entra ID,
//! Google, Shibboleth's OIDC front), verified with the keys of its JWKS.
//!
//! The keys are fetched once at start ([`OidcProvider::refresh`]), again in the background
//! when older than the maximum age, and at once when a token names a key id the set lacks
//! (the provider rotated its keys): that request waits for the fetch, and every request
//! arriving meanwhile waits for the same one. Unknown key ids trigger at most one fetch per
//! minimum interval, so tokens with made-up key ids cannot turn the server into a client
//! hammering the provider. A failed fetch keeps the keys already held: an outage of the
//! provider does not sign anybody out.
//!
//! With [`OidcProviderBuilder::accounts`], a token whose email claim names a CampusHub
//! account also carries that account: its roles join the mapped ones, and an inactive account
//! is refused. The lookup happens once per token (the verified token is remembered), on the
//! asynchronous path ([`crate::Authenticator::authentication`]).

mod claims;
mod fetch;
mod keys;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use campushub_core::scope::RecordLinks;
use campushub_core::{Error, Principal, ReadOptions, ReadRoute, Repository, Result, User};
use futures::FutureExt;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use claims::ClaimMapping;
use fetch::{allowed_url, Fetcher, KeysAt};
use keys::KeySet;

use super::jwt::{now, rejection, LEEWAY_SECONDS};
use super::token::VerifiedToken;
use super::verified::VerifiedTokens;
use super::Authentication;

/// An identity provider whose access tokens the API accepts. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct OidcProvider {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    keys_at: KeysAt,
    audience: String,
    mapping: ClaimMapping,
    fetcher: Fetcher,
    keys: RwLock<Held>,
    /// Held while a fetch runs: one at a time, and waiters see its result.
    fetching: tokio::sync::Mutex<()>,
    /// When the last fetch started (successful or not).
    last_attempt: Mutex<Option<Instant>>,
    /// When the last fetch caused by an unknown key id started: the one the minimum
    /// interval limits (a fetch at start or by age must not delay a rotation's).
    last_unknown: Mutex<Option<Instant>>,
    min_interval: Duration,
    max_age: Duration,
    verified: VerifiedTokens,
    accounts: Option<Accounts>,
}

/// Where tokens find their CampusHub account.
#[derive(Clone)]
struct Accounts {
    users: Arc<dyn Repository<User>>,
    email_claim: String,
}

/// The keys held and when they were fetched.
struct Held {
    set: Arc<KeySet>,
    fetched: Option<Instant>,
}

/// How an [`OidcProvider`] is configured; see [`OidcProvider::builder`].
#[derive(Debug, Clone)]
pub struct OidcProviderBuilder {
    issuer: String,
    audience: String,
    jwks_url: Option<String>,
    mapping: ClaimMapping,
    min_interval: Duration,
    max_age: Duration,
    timeout: Duration,
    accounts: Option<Accounts>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("email_claim", &self.email_claim)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// How long keys are used before they are fetched again in the background, by default.
    pub const MAX_KEY_AGE: Duration = Duration::from_secs(3600);
    /// The least time between two fetches caused by unknown key ids, by default.
    pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);
    /// How long a fetch may take, by default.
    pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

    /// A provider whose tokens carry `iss` = `issuer` and `aud` = `audience` (the API's
    /// client id or application id URI at the provider: required, or any token the provider
    /// issued to any other application would be accepted here). Its keys are found through
    /// `{issuer}/.well-known/openid-configuration` unless
    /// [`OidcProviderBuilder::jwks_url`] names them.
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> OidcProviderBuilder {
        OidcProviderBuilder {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: None,
            mapping: ClaimMapping::default(),
            min_interval: Self::MIN_REFRESH_INTERVAL,
            max_age: Self::MAX_KEY_AGE,
            timeout: Self::FETCH_TIMEOUT,
            accounts: None,
        }
    }

    /// The issuer whose tokens this provider verifies.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// How many usable keys are held.
    pub fn key_count(&self) -> usize {
        self.held().len()
    }

    /// Fetches the keys now (waiting for a fetch already under way instead of starting
    /// another), and returns how many usable keys the provider publishes.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the documents cannot be fetched or parsed; the keys held
    /// before stay in use.
    pub async fn refresh(&self) -> Result<usize> {
        let _one_at_a_time = self.inner.fetching.lock().await;
        self.fetch().await
    }

    /// The principal of `token` if it verifies with a key already held (no I/O).
    pub(crate) fn verify_known(&self, token: &str) -> Result<Principal> {
        if let Some(verified) = self.inner.verified.get(token) {
            return Ok(verified.principal);
        }
        let kid = key_id(token)?;
        self.refresh_if_old();
        self.verify_with_held(token, kid.as_deref())
    }

    /// The principal of `token`, fetching the keys first when it names a key id the set
    /// lacks and a fetch for unknown keys is allowed now.
    pub(crate) fn verify(&self, token: &str) -> Authentication {
        if let Some(verified) = self.inner.verified.get(token) {
            return Authentication::Ready(Ok(verified.principal));
        }
        let kid = match key_id(token) {
            Ok(kid) => kid,
            Err(error) => return Authentication::Ready(Err(error)),
        };
        self.refresh_if_old();
        let known = self.held().get(kid.as_deref()).is_some();
        // A fetch under way may bring the key: wait for it rather than refuse.
        let fetching = self.inner.fetching.try_lock().is_err();
        let fetch = !known && (fetching || self.may_fetch_for_unknown());
        if !fetch && self.inner.accounts.is_none() {
            return Authentication::Ready(self.verify_with_held(token, kid.as_deref()));
        }
        let provider = self.clone();
        let token = token.to_owned();
        Authentication::Pending(
            async move {
                if fetch {
                    provider.fetch_for_unknown(kid.as_deref()).await;
                }
                let claims = provider.claims_with_held(&token, kid.as_deref())?;
                let mut principal = provider.inner.mapping.principal(&claims)?;
                if let Some(accounts) = &provider.inner.accounts {
                    principal = accounts.join(principal, &claims).await?;
                }
                provider.remember(&token, &claims, &principal);
                Ok(principal)
            }
            .boxed(),
        )
    }

    fn held(&self) -> Arc<KeySet> {
        match self.inner.keys.read() {
            Ok(held) => Arc::clone(&held.set),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().set),
        }
    }

    /// The principal of `token` from its claims alone, verified with the keys held and
    /// remembered (the synchronous path: accounts are not looked up here).
    fn verify_with_held(&self, token: &str, kid: Option<&str>) -> Result<Principal> {
        let claims = self.claims_with_held(token, kid)?;
        let principal = self.inner.mapping.principal(&claims)?;
        self.remember(token, &claims, &principal);
        Ok(principal)
    }

    /// The claims of `token`, verified with the key `kid` names among those held.
    fn claims_with_held(&self, token: &str, kid: Option<&str>) -> Result<Map<String, Value>> {
        let set = self.held();
        let Some(key) = set.get(kid) else {
            return Err(Error::Unauthenticated(
                "the token is signed with a key the identity provider does not publish".into(),
            ));
        };
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
            .map_err(|error| Error::Unauthenticated(rejection(error.kind())))?;
        let claims = data.claims;
        let iat = claims.get("iat").and_then(Value::as_u64);
        if iat.is_some_and(|iat| iat > now().saturating_add(LEEWAY_SECONDS)) {
            return Err(Error::Unauthenticated(
                "the token's issue time (`iat`) is in the future".into(),
            ));
        }
        Ok(claims)
    }

    /// Remembers that `token` (with `claims`) verified as `principal`, until it expires.
    fn remember(&self, token: &str, claims: &Map<String, Value>, principal: &Principal) {
        let verified = VerifiedToken {
            principal: principal.clone(),
            jti: None,
            sid: None,
            ver: None,
            exp: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
        };
        self.inner.verified.insert(token, &verified);
    }

    /// Whether no fetch started within the minimum interval.
    fn may_fetch_now(&self) -> bool {
        self.quiet_for(&self.inner.last_attempt)
    }

    /// Whether no fetch for an unknown key id started within the minimum interval.
    fn may_fetch_for_unknown(&self) -> bool {
        self.quiet_for(&self.inner.last_unknown)
    }

    fn quiet_for(&self, last: &Mutex<Option<Instant>>) -> bool {
        let last = match last.lock() {
            Ok(last) => *last,
            Err(poisoned) => *poisoned.into_inner(),
        };
        last.is_none_or(|at| at.elapsed() >= self.inner.min_interval)
    }

    /// Fetches the keys for a token naming `kid`, unless a fetch that finished while this
    /// one waited already brought it, or the minimum interval forbids it.
    async fn fetch_for_unknown(&self, kid: Option<&str>) {
        let _one_at_a_time = self.inner.fetching.lock().await;
        if self.held().get(kid).is_some() || !self.may_fetch_for_unknown() {
            return;
        }
        if let Ok(mut last) = self.inner.last_unknown.lock() {
            *last = Some(Instant::now());
        }
        // The failure is logged by `fetch`; the token is then refused with the keys held.
        let _ = self.fetch().await;
    }

    /// Starts a background fetch when the keys are older than the maximum age (and no fetch
    /// started within the minimum interval). Without a Tokio runtime, nothing happens.
    fn refresh_if_old(&self) {
        let old = match self.inner.keys.read() {
            Ok(held) => held
                .fetched
                .is_some_and(|at| at.elapsed() >= self.inner.max_age),
            Err(_) => false,
        };
        if !old || !self.may_fetch_now() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let provider = self.clone();
        runtime.spawn(async move {
            let Ok(_one_at_a_time) = provider.inner.fetching.try_lock() else {
                return;
            };
            if provider.may_fetch_now() {
                let _ = provider.fetch().await;
            }
        });
    }

    /// Fetches and installs the keys; the caller holds `fetching`.
    async fn fetch(&self) -> Result<usize> {
        if let Ok(mut last) = self.inner.last_attempt.lock() {
            *last = Some(Instant::now());
        }
        let inner = &self.inner;
        let fetched = inner
            .fetcher
            .jwks(&inner.keys_at, &inner.issuer)
            .await
            .and_then(|body| keys::parse(&body, &inner.issuer, &inner.audience));
        let (set, skipped) = match fetched {
            Ok(parsed) => parsed,
            Err(message) => {
                tracing::warn!(issuer = %inner.issuer, error = %message, "cannot fetch the identity provider's keys; keeping those held");
                return Err(Error::Unavailable {
                    message: format!("the identity provider's keys: {message}"),
                    source: None,
                });
            }
        };
        if !skipped.is_empty() {
            tracing::info!(issuer = %inner.issuer, ?skipped, "identity provider keys not used");
        }
        let count = set.len();
        if let Ok(mut held) = inner.keys.write() {
            *held = Held {
                set: Arc::new(set),
                fetched: Some(Instant::now()),
            };
        }
        // A key the provider withdrew must stop verifying at once, remembered tokens too.
        inner.verified.clear();
        tracing::debug!(issuer = %inner.issuer, keys = count, "identity provider keys fetched");
        Ok(count)
    }
}

impl OidcProviderBuilder {
    /// Fetches the keys from `url` (a JWKS document) instead of through discovery.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// How the provider's claims become a principal (default: [`ClaimMapping::default`]).
    pub fn claims(mut self, mapping: ClaimMapping) -> Self {
        self.mapping = mapping;
        self
    }

    /// The least time between two fetches caused by unknown key ids (default
    /// [`OidcProvider::MIN_REFRESH_INTERVAL`]).
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// How long keys are used before a background fetch (default
    /// [`OidcProvider::MAX_KEY_AGE`]).
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// Joins each token to the CampusHub account whose email its `email_claim` (usually
    /// `email`) holds, found in `users`: the account's roles are added to the mapped ones,
    /// its record links travel with the principal, and a token of an inactive account is
    /// refused. A token whose `email_verified` claim is `false` is never joined: anyone may
    /// put any address in an unverified profile.
    pub fn accounts(
        mut self,
        users: Arc<dyn Repository<User>>,
        email_claim: impl Into<String>,
    ) -> Self {
        self.accounts = Some(Accounts {
            users,
            email_claim: email_claim.into(),
        });
        self
    }

    /// How long one fetch may take (default [`OidcProvider::FETCH_TIMEOUT`]).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The provider, holding no keys yet: call [`OidcProvider::refresh`] before serving.
    ///
    /// # Errors
    /// [`Error::Validation`] naming `oidc_issuer`, `oidc_jwks_url` or `oidc_audience` when
    /// one is empty, not a URL, or plain HTTP to a host other than a loopback address.
    pub fn build(self) -> Result<OidcProvider> {
        if self.audience.trim().is_empty() {
            return Err(Error::invalid(
                "oidc_audience",
                "an audience is required: without one, tokens the provider issued to any \
                 other application would be accepted",
            ));
        }
        if self.issuer.trim().is_empty() {
            return Err(Error::invalid("oidc_issuer", "an issuer is required"));
        }
        let keys_at = match &self.jwks_url {
            Some(url) => {
                KeysAt::Jwks(allowed_url(url).map_err(|m| Error::invalid("oidc_jwks_url", m))?)
            }
            None => {
                allowed_url(&self.issuer).map_err(|m| Error::invalid("oidc_issuer", m))?;
                let discovery = format!(
                    "{}/.well-known/openid-configuration",
                    self.issuer.trim_end_matches('/')
                );
                KeysAt::Discovery(
                    allowed_url(&discovery).map_err(|m| Error::invalid("oidc_issuer", m))?,
                )
            }
        };
        let fetcher = Fetcher::new(self.timeout).map_err(|m| Error::invalid("oidc_issuer", m))?;
        Ok(OidcProvider {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                keys_at,
                audience: self.audience,
                mapping: self.mapping,
                fetcher,
                keys: RwLock::new(Held {
                    set: Arc::new(KeySet::default()),
                    fetched: None,
                }),
                fetching: tokio::sync::Mutex::new(()),
                last_attempt: Mutex::new(None),
                last_unknown: Mutex::new(None),
                min_interval: self.min_interval,
                max_age: self.max_age,
                verified: VerifiedTokens::new(LEEWAY_SECONDS),
                accounts: self.accounts,
            }),
        })
    }
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("keys", &self.key_count())
            .finish_non_exhaustive()
    }
}

impl Accounts {
    /// `principal` joined to the account the claims' email names, if there is one.
    async fn join(
        &self,
        mut principal: Principal,
        claims: &Map<String, Value>,
    ) -> Result<Principal> {
        let verified = claims.get("email_verified").and_then(Value::as_bool) != Some(false);
        let Some(email) = claims
            .get(&self.email_claim)
            .and_then(Value::as_str)
            .filter(|_| verified)
        else {
            return Ok(principal);
        };
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let email = User::normalize_email(email);
        let Some(user) = self.users.find_by_natural_key(&email, &primary).await? else {
            return Ok(principal);
        };
        if !user.is_active {
            return Err(Error::Unauthenticated(
                "the CampusHub account of this identity is deactivated".into(),
            ));
        }
        principal.roles.extend(user.role_list());
        principal.roles.sort();
        principal.roles.dedup();
        // The account's records, for row scopes (a student reads its own record). The
        // faculty record's department is not looked up here: a department scope does not
        // apply to provider tokens yet.
        Ok(principal.with_links(RecordLinks {
            student_id: user.student_id,
            faculty_id: user.faculty_id,
            department_id: None,
        }))
    }
}

/// The key id (`kid`) a token's header names.
fn key_id(token: &str) -> Result<Option<String>> {
    jsonwebtoken::decode_header(token)
        .map(|header| header.kid)
        .map_err(|error| Error::Unauthenticated(rejection(error.kind())))
}

/// The `iss` a token claims, read without verifying anything: only to pick the provider
/// whose keys must then verify it.
pub(super) fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice::<Issuer>(&bytes).ok()?.iss
}
