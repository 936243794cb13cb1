//! A small, bounded cache of verified bearer tokens, so that a client sending the same token
//! on every request pays the signature check and the claims decode once.
//!
//! Direct-mapped: a token's hash (keyed randomly per process) picks one of [`SLOTS`] slots,
//! each holding at most one token behind its own mutex (no global lock, no growth: a new token
//! replaces the slot's old one). A hit compares the whole token string, then checks `exp`
//! against the clock with the verifier's leeway, so an expired token is never accepted from
//! the cache; only tokens that passed full verification are stored.

use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::token::VerifiedToken;

/// Number of slots (tokens kept at most).
pub(crate) const SLOTS: usize = 256;

/// Tokens longer than this are verified every time and never stored (bounds the memory).
const MAX_TOKEN_LEN: usize = 4096;

struct Entry {
    token: Box<str>,
    verified: VerifiedToken,
}

/// The cache (shared by the clones of one verifier).
pub(crate) struct VerifiedTokens {
    hasher: RandomState,
    slots: Box<[Mutex<Option<Entry>>]>,
    leeway: u64,
}

impl VerifiedTokens {
    /// An empty cache; hits must satisfy `exp + leeway >= now`, as the verifier's rule does.
    pub(crate) fn new(leeway: u64) -> Self {
        VerifiedTokens {
            hasher: RandomState::new(),
            slots: (0..SLOTS).map(|_| Mutex::new(None)).collect(),
            leeway,
        }
    }

    fn slot(&self, token: &str) -> &Mutex<Option<Entry>> {
        let index = (self.hasher.hash_one(token) as usize) % self.slots.len();
        &self.slots[index]
    }

    /// What `token` verified as, if it was verified before and has not expired.
    pub(crate) fn get(&self, token: &str) -> Option<VerifiedToken> {
        let mut slot = self.slot(token).lock().ok()?;
        let entry = slot.as_ref().filter(|e| &*e.token == token)?;
        if entry.verified.exp.saturating_add(self.leeway) >= now() {
            return Some(entry.verified.clone());
        }
        *slot = None;
        None
    }

    /// Remembers that `token` verified as `verified`.
    pub(crate) fn insert(&self, token: &str, verified: &VerifiedToken) {
        if token.len() > MAX_TOKEN_LEN {
            return;
        }
        if let Ok(mut slot) = self.slot(token).lock() {
            *slot = Some(Entry {
                token: token.into(),
                verified: verified.clone(),
            });
        }
    }

    /// Forgets every token (their keys may no longer be trusted).
    #[cfg_attr(not(feature = "oidc"), allow(dead_code))]
    pub(crate) fn clear(&self) {
        for slot in self.slots.iter() {
            if let Ok(mut slot) = slot.lock() {
                *slot = None;
            }
        }
    }

    /// Tokens stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.lock().map(|s| s.is_some()).unwrap_or(false))
            .count()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use campushub_core::{Principal, Role};

    fn principal(subject: &str) -> Principal {
        Principal::new(subject, [Role::ADMIN])
    }

    fn verified(subject: &str, exp: u64) -> VerifiedToken {
        VerifiedToken {
            principal: principal(subject),
            jti: Some(format!("jti-{subject}")),
            sid: None,
            ver: None,
            exp,
        }
    }

    trait Principals {
        fn principal_of(&self, token: &str) -> Option<Principal>;
    }

    impl Principals for VerifiedTokens {
        fn principal_of(&self, token: &str) -> Option<Principal> {
            self.get(token).map(|v| v.principal)
        }
    }

    #[test]
    fn hits_only_the_same_token_and_not_after_expiry() {
        let cache = VerifiedTokens::new(30);
        let later = now() + 3600;
        cache.insert("token-a", &verified("a", later));
        assert_eq!(cache.principal_of("token-a"), Some(principal("a")));
        assert_eq!(cache.principal_of("token-b"), None);

        let expired = now() - 31;
        cache.insert("token-old", &verified("old", expired));
        let held = cache.len();
        assert_eq!(
            cache.principal_of("token-old"),
            None,
            "expired beyond the leeway"
        );
        assert_eq!(cache.len(), held - 1, "and removed");
        let within_leeway = now() - 5;
        cache.insert("token-grace", &verified("g", within_leeway));
        assert_eq!(cache.principal_of("token-grace"), Some(principal("g")));
    }

    #[test]
    fn stays_bounded() {
        let cache = VerifiedTokens::new(0);
        let later = now() + 3600;
        for n in 0..(SLOTS * 8) {
            cache.insert(&format!("token-{n}"), &verified("p", later));
        }
        let last = format!("token-{}", SLOTS * 8 - 1);
        assert_eq!(
            cache.principal_of(&last),
            Some(principal("p")),
            "the newest owns its slot"
        );
        assert!(cache.len() <= SLOTS);
        cache.insert(&"x".repeat(MAX_TOKEN_LEN + 1), &verified("p", later));
        assert_eq!(cache.principal_of(&"x".repeat(MAX_TOKEN_LEN + 1)), None);
    }
}
