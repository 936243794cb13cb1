//! Bearer JWTs: verification (HS256 secret or RS256 public key, keys and rules built once,
//! verified tokens remembered in a small bounded cache) and minting (for the server's `token`
//! subcommand and tests).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use campushub_core::scope::RecordLinks;
use campushub_core::{Error, Principal, Result, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::token::VerifiedToken;
use super::verified::VerifiedTokens;

/// The claims CampusHub reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject: becomes [`Principal::subject`].
    pub sub: String,
    /// Role names: become [`Principal::roles`].
    #[serde(default)]
    pub roles: Vec<String>,
    /// Expiry, seconds since the Unix epoch (required).
    pub exp: u64,
    /// Issued at; a token issued in the future (beyond the clock-skew leeway) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not before: a token is refused until then (less the clock-skew leeway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issuer (checked when the verifier is configured with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience (checked when the verifier is configured with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The token's id: what logout puts on the deny list
    /// ([`campushub_core::accounts::TokenRevoker`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The sign-in (refresh-token family) a login's access token belongs to: what logout
    /// revokes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The version of the account a login's token was issued for: a later write to the
    /// account revokes the tokens of earlier versions
    /// ([`campushub_core::accounts::RevokeOnAccountChange`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i64>,
    /// The account's student record: becomes [`RecordLinks::student_id`], which the
    /// `student` role's scope reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student_id: Option<uuid::Uuid>,
    /// The account's faculty record: becomes [`RecordLinks::faculty_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faculty_id: Option<uuid::Uuid>,
    /// The linked faculty record's department, resolved at sign-in: becomes
    /// [`RecordLinks::department_id`], which a department scope reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_id: Option<uuid::Uuid>,
}

impl Claims {
    /// The record links the claims carry.
    pub fn links(&self) -> RecordLinks {
        RecordLinks {
            student_id: self.student_id,
            faculty_id: self.faculty_id,
            department_id: self.department_id,
        }
    }

    /// The claims with `links` set.
    pub fn with_links(mut self, links: &RecordLinks) -> Self {
        self.student_id = links.student_id;
        self.faculty_id = links.faculty_id;
        self.department_id = links.department_id;
        self
    }
}

/// An access token a [`TokenMinter`] made for a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The signed JWT.
    pub token: String,
    /// Its id (`jti`): a random UUID.
    pub jti: String,
    /// Its expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// Verifies bearer tokens. Build it once: the key and validation rules are prepared here, so
/// a verification is one signature check and one small JSON decode.
///
/// Tokens that verified are remembered (up to 256, keyed by the whole token string, shared by
/// the verifier's clones): the same token again costs a lookup and an `exp` check against the
/// clock, with the same leeway. Turn it off with [`JwtVerifier::remember_verified`].
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: Option<Arc<VerifiedTokens>>,
}

/// Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
pub(super) const LEEWAY_SECONDS: u64 = 30;

/// The shortest HS256 secret accepted, in bytes: RFC 7518 §3.2 requires a key of at least
/// the hash's size (256 bits); a shorter one can be brute-forced from one token.
pub const MIN_HS256_SECRET: usize = 32;

/// `secret` if it is long enough for HS256.
fn hs256_secret(secret: &[u8]) -> Result<&[u8]> {
    if secret.len() < MIN_HS256_SECRET {
        return Err(Error::invalid(
            "jwt_secret",
            format!(
                "an HS256 secret must be at least {MIN_HS256_SECRET} bytes (RFC 7518 §3.2); \
                 this one has {}",
                secret.len()
            ),
        ));
    }
    Ok(secret)
}

impl JwtVerifier {
    /// Tokens signed with HS256 and `secret`, which must be at least [`MIN_HS256_SECRET`]
    /// bytes long.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self> {
        let secret = hs256_secret(secret.as_ref())?;
        Ok(Self::with(
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
        ))
    }

    /// Tokens signed with RS256, checked with the public key in `pem`.
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let key = DecodingKey::from_rsa_pem(pem.as_ref())
            .map_err(|error| Error::invalid("jwt_public_key", error.to_string()))?;
        Ok(Self::with(key, Algorithm::RS256))
    }

    fn with(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        JwtVerifier {
            key,
            validation,
            verified: Some(Arc::new(VerifiedTokens::new(LEEWAY_SECONDS))),
        }
    }

    /// Also requires `iss` to be `issuer`.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self.validation.required_spec_claims.insert("iss".into());
        self.fresh_cache()
    }

    /// Also requires `aud` to be `audience`.
    pub fn audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self.validation.validate_aud = true;
        self.validation.required_spec_claims.insert("aud".into());
        self.fresh_cache()
    }

    /// Whether to remember verified tokens (default true). Off, every request verifies its
    /// token's signature and claims.
    pub fn remember_verified(mut self, remember: bool) -> Self {
        self.verified = remember.then(|| Arc::new(VerifiedTokens::new(LEEWAY_SECONDS)));
        self
    }

    /// Stricter rules must not be answered from tokens a clone verified under looser ones.
    fn fresh_cache(self) -> Self {
        let remember = self.verified.is_some();
        self.remember_verified(remember)
    }

    /// The principal of a valid token.
    pub fn verify(&self, token: &str) -> Result<Principal> {
        self.verify_token(token).map(|verified| verified.principal)
    }

    /// A valid token's principal, id, sign-in and expiry.
    pub fn verify_token(&self, token: &str) -> Result<VerifiedToken> {
        if let Some(verified) = self.verified.as_ref().and_then(|v| v.get(token)) {
            return Ok(verified);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|error| Error::Unauthenticated(rejection(error.kind())))?;
        let claims = data.claims;
        if claims
            .iat
            .is_some_and(|iat| iat > now().saturating_add(LEEWAY_SECONDS))
        {
            return Err(Error::Unauthenticated(
                "the token's issue time (`iat`) is in the future".into(),
            ));
        }
        let links = claims.links();
        let verified = VerifiedToken {
            principal: Principal::new(claims.sub, claims.roles.into_iter().map(Role::new))
                .with_links(links),
            jti: claims.jti,
            sid: claims.sid,
            ver: claims.ver,
            exp: claims.exp,
        };
        if let Some(cache) = &self.verified {
            cache.insert(token, &verified);
        }
        Ok(verified)
    }
}

/// What a client is told about a token that failed: what it can fix (get a new token, wait,
/// ask for the right audience), never the library's internal reason.
pub(super) fn rejection(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".into(),
        ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
            "the token was not issued for this API (`iss` or `aud`)".into()
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the token lacks the `{claim}` claim")
        }
        _ => "the token is malformed or its signature does not verify".into(),
    }
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithms", &self.validation.algorithms)
            .field("remember_verified", &self.verified.is_some())
            .finish_non_exhaustive()
    }
}

/// Signs tokens a [`JwtVerifier`] accepts.
#[derive(Clone)]
pub struct TokenMinter {
    key: EncodingKey,
    algorithm: Algorithm,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenMinter {
    /// Signs with HS256 and `secret`, which must be at least [`MIN_HS256_SECRET`] bytes long.
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self> {
        let secret = hs256_secret(secret.as_ref())?;
        Ok(TokenMinter {
            key: EncodingKey::from_secret(secret),
            algorithm: Algorithm::HS256,
            issuer: None,
            audience: None,
        })
    }

    /// Signs with RS256 and the private key in `pem`.
    pub fn rs256_pem(pem: impl AsRef<[u8]>) -> Result<Self> {
        let key = EncodingKey::from_rsa_pem(pem.as_ref())
            .map_err(|error| Error::invalid("jwt_private_key", error.to_string()))?;
        Ok(TokenMinter {
            key,
            algorithm: Algorithm::RS256,
            issuer: None,
            audience: None,
        })
    }

    /// Puts `iss` into every token.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Puts `aud` into every token.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// A token for `subject` with `roles`, valid for `ttl` from now.
    pub fn mint(&self, subject: &str, roles: &[Role], ttl: Duration) -> Result<String> {
        self.mint_linked(subject, roles, &RecordLinks::default(), ttl)
    }

    /// A token for `subject` with `roles`, linked to the records `links` names (the
    /// `student_id`, `faculty_id` and `department_id` claims), valid for `ttl` from now.
    pub fn mint_linked(
        &self,
        subject: &str,
        roles: &[Role],
        links: &RecordLinks,
        ttl: Duration,
    ) -> Result<String> {
        let now = now();
        let claims = Claims {
            sub: subject.to_owned(),
            roles: roles.iter().map(|role| role.as_str().to_owned()).collect(),
            exp: now.saturating_add(ttl.as_secs()),
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: None,
            sid: None,
            ver: None,
            student_id: None,
            faculty_id: None,
            department_id: None,
        };
        self.sign(&claims.with_links(links))
    }

    /// An access token of the sign-in `sid` for `subject` (an account at `version`) with
    /// `roles` and record `links`, valid for `ttl` from now, with a fresh random id (`jti`)
    /// so that it can be revoked alone.
    pub fn mint_session(
        &self,
        subject: &str,
        version: i64,
        roles: &[Role],
        links: &RecordLinks,
        ttl: Duration,
        sid: &str,
    ) -> Result<MintedToken> {
        let now = now();
        let jti = uuid::Uuid::new_v4().simple().to_string();
        let exp = now.saturating_add(ttl.as_secs());
        let claims = Claims {
            sub: subject.to_owned(),
            roles: roles.iter().map(|role| role.as_str().to_owned()).collect(),
            exp,
            iat: Some(now),
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Some(jti.clone()),
            sid: Some(sid.to_owned()),
            ver: Some(version),
            student_id: None,
            faculty_id: None,
            department_id: None,
        };
        let token = self.sign(&claims.with_links(links))?;
        Ok(MintedToken { token, jti, exp })
    }

    /// A token carrying exactly `claims` (tests use it for expired or odd tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, &self.key)
            .map_err(|error| Error::internal("cannot sign token", error))
    }
}

impl std::fmt::Debug for TokenMinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenMinter")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}
