//! [`AccountStore`]: where an account's secrets live, apart from its user record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::refresh::{RefreshSession, TokenHash};
use crate::audit_log::AuditEntry;
use crate::error::Result;
use crate::password::StoredHash;

/// What a refresh-token rotation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was the family's current one: it is now used, and the next token stored.
    Rotated {
        /// The account.
        user_id: Uuid,
        /// The family both tokens belong to.
        family: Uuid,
    },
    /// The token had been rotated already (or was being rotated concurrently): someone holds
    /// a copy. The whole family is now revoked; the next token was not stored.
    Reused {
        /// The account.
        user_id: Uuid,
        /// The revoked family.
        family: Uuid,
    },
    /// No such token, or it expired, or its family was revoked; nothing changed.
    Refused,
}

/// Password hashes and refresh-token sessions, stored apart from the user records so that no
/// read, list or export of users can show them.
///
/// Semantics every implementation shares:
/// - a user has at most one password hash; setting it replaces the old one;
/// - [`AccountStore::rotate_refresh`] is atomic: of two concurrent rotations of one token,
///   one rotates and the other sees a reuse;
/// - deleting a user deletes its secrets (the SQL stores cascade).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The user's password hash, if one was set.
    async fn password_hash(&self, user_id: Uuid) -> Result<Option<StoredHash>>;

    /// Sets (or replaces) the user's password hash, storing `entry` in the audit log in the
    /// same transaction when there is one (see
    /// [`Repository::insert_audited`](crate::Repository::insert_audited)).
    async fn set_password_hash(
        &self,
        user_id: Uuid,
        hash: &StoredHash,
        entry: Option<&AuditEntry>,
    ) -> Result<()>;

    /// Stores the first token of a new family (a login), dropping the user's expired tokens.
    async fn store_refresh(&self, session: &RefreshSession) -> Result<()>;

    /// Uses the token whose hash is `presented`: if it is its family's current, unexpired
    /// token, marks it used and stores `next` in the same family (`next.family` and
    /// `next.user_id` are taken from the presented token's); if it was used before, revokes
    /// its family (see [`Rotation`]).
    async fn rotate_refresh(
        &self,
        presented: &TokenHash,
        next: &RefreshSession,
        now: DateTime<Utc>,
    ) -> Result<Rotation>;

    /// The family of the token whose hash is `token`, if it is stored (used, expired or
    /// revoked alike).
    async fn family_of(&self, token: &TokenHash) -> Result<Option<(Uuid, Uuid)>>;

    /// Revokes every token of `family`: none of them is accepted again.
    async fn revoke_family(&self, family: Uuid, now: DateTime<Utc>) -> Result<()>;

    /// Revokes every token of every family of `user_id` (a password reset, a deactivation).
    async fn revoke_user(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<()>;
}

impl std::fmt::Debug for dyn AccountStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountStore")
    }
}
