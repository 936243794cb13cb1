//! API keys: a configured map from key to principal, looked up by the key's SHA-256 digest so
//! that no comparison leaks how much of a key was right.

use std::collections::HashMap;

use campushub_core::{Error, Principal, Result};
use sha2::{Digest, Sha256};

pub use crate::headers::API_KEY_HEADER;

/// Known API keys and the principals they stand for.
#[derive(Default, Clone)]
pub struct ApiKeys {
    by_digest: HashMap<[u8; 32], Principal>,
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key`, which authenticates as `principal`. The key's name, which the audit log
    /// records, is the principal's [`Principal::api_key`], or else its subject.
    pub fn insert(mut self, key: impl AsRef<[u8]>, mut principal: Principal) -> Self {
        if principal.api_key.is_none() {
            principal.api_key = Some(principal.subject.clone());
        }
        self.by_digest.insert(digest(key.as_ref()), principal);
        self
    }

    /// The principal of `key`.
    pub fn principal(&self, key: &str) -> Result<Principal> {
        self.by_digest
            .get(&digest(key.as_bytes()))
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("unknown API key".into()))
    }
}

fn digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.by_digest.len())
            .finish()
    }
}
