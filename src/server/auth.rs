//! Who may call: the JWT verifier (a configured secret, a development secret kept beside the
//! SQLite file, or an RS256 public key), API keys, the token minter of the `token` command,
//! and the key cursors are signed with.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::config::Config;
use super::private_files::{make_private, write_private};
use super::values::{ConfigError, JwtKey};
use super::BoxError;
use crate::core::accounts::TokenRevoker;
use crate::core::{Principal, Role};
use crate::http::{ApiKeys, Credentials, JwtVerifier, OidcProvider, TokenMinter};

/// The resolved keys.
pub struct Auth {
    /// What the router authenticates with.
    pub credentials: Arc<Credentials>,
    /// The bearer-token verifier of `credentials` (logout reads the token's id with it).
    pub verifier: JwtVerifier,
    /// The API keys of `credentials`.
    api_keys: ApiKeys,
    /// The identity provider of `credentials`, if any.
    pub oidc: Option<OidcProvider>,
    /// Signs tokens when the server holds the signing key (HS256).
    pub minter: Option<TokenMinter>,
    /// The key cursors are signed with, shared by every instance with the same secret.
    pub cursor_key: Vec<u8>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The cursor key is a secret; the credentials and minter hide theirs.
        f.debug_struct("Auth")
            .field("credentials", &self.credentials)
            .field("minter", &self.minter)
            .field("cursor_key", &"***")
            .finish()
    }
}

impl Auth {
    /// Resolves the configured keys, creating the development secret if needed.
    pub fn resolve(config: &Config) -> Result<Auth, BoxError> {
        let (verifier, minter, derived) = match &config.jwt {
            JwtKey::Secret(secret) => hs256(secret)?,
            JwtKey::Development(file) => hs256(&development_secret(file.as_deref())?)?,
            JwtKey::PublicKeyFile(file) => {
                let pem = std::fs::read(file).map_err(|e| ConfigError {
                    variable: "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
                    message: format!("cannot read `{}`: {e}", file.display()),
                })?;
                let verifier = JwtVerifier::rs256_pem(pem).map_err(|e| ConfigError {
                    variable: "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
                    message: e.to_string(),
                })?;
                (verifier, None, None)
            }
        };
        let (verifier, minter) = match (&config.jwt_issuer, &config.jwt_audience) {
            (Some(issuer), Some(audience)) => (
                verifier.issuer(issuer).audience(audience),
                minter.map(|m| m.issuer(issuer.clone()).audience(audience.clone())),
            ),
            (Some(issuer), None) => (
                verifier.issuer(issuer),
                minter.map(|m| m.issuer(issuer.clone())),
            ),
            (None, Some(audience)) => (
                verifier.audience(audience),
                minter.map(|m| m.audience(audience.clone())),
            ),
            (None, None) => (verifier, minter),
        };
        let cursor_key = match (&config.cursor_key, derived) {
            (Some(key), _) => key.as_bytes().to_vec(),
            (None, Some(derived)) => derived,
            (None, None) => {
                tracing::warn!("CAMPUSHUB_CURSOR_KEY is unset: cursors are signed with a key of this process only");
                random_secret().into_bytes()
            }
        };
        let mut keys = ApiKeys::new();
        for (subject, roles, key) in &config.api_keys {
            let roles = roles.iter().map(|r| Role::new(r.clone()));
            keys = keys.insert(key, Principal::new(subject.clone(), roles));
        }
        let oidc = config
            .oidc
            .as_ref()
            .map(|settings| settings.provider(None))
            .transpose()?;
        let mut auth = Auth {
            credentials: Arc::new(Credentials::new()),
            verifier,
            api_keys: keys,
            oidc,
            minter,
            cursor_key,
        };
        auth.credentials = Arc::new(auth.credentials());
        Ok(auth)
    }

    /// Credentials from the verifier, the API keys and the identity provider.
    fn credentials(&self) -> Credentials {
        let credentials = Credentials::new()
            .jwt(self.verifier.clone())
            .api_keys(self.api_keys.clone());
        match &self.oidc {
            Some(provider) => credentials.oidc(provider.clone()),
            None => credentials,
        }
    }

    /// Joins the identity provider's tokens to the accounts of `users`, if the configuration
    /// asks for it (`CAMPUSHUB_OIDC_ACCOUNT_CLAIM`).
    pub fn join_accounts(
        &mut self,
        config: &Config,
        users: Arc<dyn crate::core::Repository<crate::core::User>>,
    ) -> Result<(), BoxError> {
        if let Some(settings) = config.oidc.as_ref().filter(|s| s.account_claim.is_some()) {
            self.oidc = Some(settings.provider(Some(users))?);
            self.credentials = Arc::new(self.credentials());
        }
        Ok(())
    }

    /// Makes the credentials refuse the access tokens `revoker` says were revoked.
    pub fn refuse_revoked(&mut self, revoker: Arc<dyn TokenRevoker>) {
        self.credentials = Arc::new(self.credentials().revocations(revoker));
    }

    /// Fetches the identity provider's keys, if there is one. A failure is logged, not
    /// returned: the server starts and accepts its own tokens, and the provider's once a
    /// later fetch (on the first token of an unknown key) succeeds.
    pub async fn fetch_provider_keys(&self) {
        let Some(provider) = &self.oidc else {
            return;
        };
        match provider.refresh().await {
            Ok(keys) => tracing::info!(
                issuer = provider.issuer(),
                keys,
                "identity provider keys fetched"
            ),
            Err(error) => {
                tracing::warn!(issuer = provider.issuer(), %error, "cannot fetch the identity provider's keys: its tokens are refused until a fetch succeeds")
            }
        }
    }
}

type Keys = (JwtVerifier, Option<TokenMinter>, Option<Vec<u8>>);

fn hs256(secret: &[u8]) -> Result<Keys, BoxError> {
    let mut hasher = Sha256::new();
    hasher.update(b"campushub cursor key\0");
    hasher.update(secret);
    let cursor_key = hasher.finalize().to_vec();
    Ok((
        JwtVerifier::hs256(secret)?,
        Some(TokenMinter::hs256(secret)?),
        Some(cursor_key),
    ))
}

/// The development secret in `file` (created on first use), or a per-process one.
fn development_secret(file: Option<&Path>) -> Result<Vec<u8>, BoxError> {
    let Some(file) = file else {
        tracing::warn!(
            "CAMPUSHUB_JWT_SECRET is unset: using a development secret of this process only"
        );
        return Ok(random_secret().into_bytes());
    };
    if let Ok(secret) = std::fs::read_to_string(file) {
        let secret = secret.trim();
        if secret.len() >= 32 {
            let fixed = make_private(file)
                .map_err(|e| format!("cannot make `{}` private: {e}", file.display()))?;
            if fixed {
                tracing::warn!(file = %file.display(), "the development secret was readable by others: made it readable by its owner only");
            }
            tracing::warn!(file = %file.display(), "CAMPUSHUB_JWT_SECRET is unset: using the development secret kept in the file");
            return Ok(secret.as_bytes().to_vec());
        }
    }
    let secret = random_secret();
    write_private(file, &secret).map_err(|e| {
        format!(
            "cannot keep the development JWT secret in `{}`: {e} (set CAMPUSHUB_JWT_SECRET)",
            file.display()
        )
    })?;
    tracing::warn!(file = %file.display(), "CAMPUSHUB_JWT_SECRET is unset: generated a development secret and kept it in the file; set CAMPUSHUB_JWT_SECRET in production");
    Ok(secret.into_bytes())
}

/// 64 hex digits from the operating system's random source (through UUID v4).
fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
