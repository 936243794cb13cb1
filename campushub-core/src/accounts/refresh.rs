//! Refresh tokens: 256 random bits handed to the client once, stored only as their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A refresh token as the client holds it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshSecret(String);

impl RefreshSecret {
    /// A new token: 32 random bytes from the operating system, base64url without padding
    /// (43 characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        RefreshSecret(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token a client presented.
    pub fn new(presented: impl Into<String>) -> Self {
        RefreshSecret(presented.into())
    }

    /// The token's text, for the response that hands it to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored and looked up: the SHA-256 of the token. A 256-bit random token needs
    /// no salt or slow hash: nobody can guess one to match.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex(&Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for RefreshSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::password::REDACTED)
    }
}

/// The stored form of a refresh token: lowercase hexadecimal SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// A hash as read back from storage.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        TokenHash(hex.into())
    }

    /// The hexadecimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One refresh token as stored: which sign-in it continues (its family: every token rotated
/// from one login), whose it is and until when it may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSession {
    /// The token's hash.
    pub token: TokenHash,
    /// The login this token descends from; revoking it revokes every token of the login.
    pub family: Uuid,
    /// The account.
    pub user_id: Uuid,
    /// When the token was issued.
    pub issued_at: DateTime<Utc>,
    /// After this the token is refused.
    pub expires_at: DateTime<Utc>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed_to_sha256_hex() {
        let a = RefreshSecret::generate();
        let b = RefreshSecret::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(a.hash().as_str().len(), 64);
        assert_eq!(a.hash(), RefreshSecret::new(a.expose()).hash());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(format!("{a:?}"), "[redacted]");
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            RefreshSecret::new("abc").hash().as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
