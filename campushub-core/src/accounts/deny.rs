//! Revoked access tokens: their ids (`jti`), each kept until the token would have expired.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::error::Result;

/// Revokes access tokens before they expire, on every instance that serves them.
///
/// [`TokenRevoker::is_revoked`] is asked on every authenticated request, so it answers from
/// memory; [`TokenRevoker::revoke`] also tells the other instances (the cache adapter sends
/// it on its invalidation channel).
#[async_trait]
pub trait TokenRevoker: Send + Sync {
    /// Refuses the token `jti` from now until `expires_at` (seconds since the Unix epoch),
    /// here and, as soon as the implementation can tell them, on the other instances.
    async fn revoke(&self, jti: &str, expires_at: u64) -> Result<()>;

    /// Whether the token `jti` was revoked (and has not expired since).
    fn is_revoked(&self, jti: &str) -> bool;

    /// Whether the tokens issued for `version` of the account `subject` were revoked (see
    /// [`RevokeOnAccountChange`](super::RevokeOnAccountChange)). Asked on every request
    /// with an account's token: an implementation that knows it holds nothing answers
    /// without building the key.
    fn is_account_revoked(&self, subject: &str, version: i64) -> bool {
        self.is_revoked(&account_version_key(subject, version))
    }
}

impl std::fmt::Debug for dyn TokenRevoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenRevoker")
    }
}

/// The in-process deny list: token ids with the instant they expire, forgotten after it.
///
/// Lookups take a read lock and cost nothing while the list is empty (one atomic load).
/// Expired entries are dropped when a new one is added, so the list holds at most the
/// tokens revoked within one access-token lifetime.
#[derive(Debug, Default)]
pub struct DenyList {
    entries: RwLock<HashMap<String, u64>>,
    len: AtomicUsize,
}

impl DenyList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Denies `jti` until `expires_at` (seconds since the Unix epoch).
    pub fn deny(&self, jti: &str, expires_at: u64) {
        let now = unix_now();
        if expires_at < now {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, expiry| *expiry >= now);
        let expiry = entries.entry(jti.to_owned()).or_insert(expires_at);
        *expiry = (*expiry).max(expires_at);
        self.len.store(entries.len(), Ordering::Release);
    }

    /// Whether `jti` is denied now.
    pub fn is_denied(&self, jti: &str) -> bool {
        if self.len.load(Ordering::Acquire) == 0 {
            return false;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(jti).is_some_and(|expiry| *expiry >= unix_now())
    }

    /// Token ids held (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether the list holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl TokenRevoker for DenyList {
    async fn revoke(&self, jti: &str, expires_at: u64) -> Result<()> {
        self.deny(jti, expires_at);
        Ok(())
    }

    fn is_revoked(&self, jti: &str) -> bool {
        self.is_denied(jti)
    }

    fn is_account_revoked(&self, subject: &str, version: i64) -> bool {
        // The common case, nothing revoked, costs one atomic load and no allocation.
        !self.is_empty() && self.is_denied(&account_version_key(subject, version))
    }
}

/// The deny-list key of the tokens issued for `version` of the account `subject`. Token ids
/// never contain `@`, so the keys cannot collide with them.
pub fn account_version_key(subject: &str, version: i64) -> String {
    format!("{subject}@{version}")
}

/// Seconds since the Unix epoch (the unit of JWT expiries).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denies_until_expiry_and_forgets_expired_ids() {
        let list = DenyList::new();
        assert!(!list.is_denied("a"));
        list.deny("a", unix_now() + 60);
        assert!(list.is_denied("a"));
        assert!(!list.is_denied("b"));
        list.deny("past", unix_now() - 1);
        assert!(!list.is_denied("past"), "an expired token needs no entry");
        assert_eq!(list.len(), 1);
        {
            let mut entries = list.entries.write().expect("lock");
            entries.insert("stale".into(), unix_now() - 5);
        }
        assert!(
            !list.is_denied("stale"),
            "an entry past its expiry denies nothing"
        );
        list.deny("c", unix_now() + 60);
        assert_eq!(list.len(), 2, "the stale entry was dropped: {list:?}");
    }

    #[test]
    fn an_account_version_is_revoked_by_its_key_alone() {
        let list = DenyList::new();
        assert!(
            !list.is_account_revoked("u1", 3),
            "an empty list revokes nothing"
        );
        list.deny(
            &crate::accounts::account_version_key("u1", 3),
            unix_now() + 60,
        );
        assert!(list.is_account_revoked("u1", 3));
        assert!(!list.is_account_revoked("u1", 4));
        assert!(!list.is_account_revoked("u2", 3));
    }
}
