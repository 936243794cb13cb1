//! Reading the audit log: [`AuditLog`], what a store implements, and the filter it takes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::entry::{AuditAction, AuditEntry};
use crate::error::Result;

/// A place in the log's order (newest first: by `at`, then `id`, both descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditPosition {
    /// The entry's time.
    pub at: DateTime<Utc>,
    /// The entry's id.
    pub id: Uuid,
}

impl AuditPosition {
    /// The position of `entry`.
    pub fn of(entry: &AuditEntry) -> Self {
        AuditPosition {
            at: entry.at,
            id: entry.id,
        }
    }
}

/// Which entries to read; every condition that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The record's kind.
    pub kind: Option<String>,
    /// The record's id.
    pub record_id: Option<Uuid>,
    /// The actor's subject.
    pub actor: Option<String>,
    /// The action.
    pub action: Option<AuditAction>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries after this position in the log's order (older than it): the keyset of the
    /// next page.
    pub after: Option<AuditPosition>,
}

impl AuditFilter {
    /// Whether `entry` passes the filter (what the memory store evaluates; the SQL stores
    /// say the same in their `WHERE`).
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.kind.as_ref().is_none_or(|kind| *kind == entry.kind)
            && self.record_id.is_none_or(|id| id == entry.record_id)
            && self
                .actor
                .as_ref()
                .is_none_or(|actor| *actor == entry.actor.subject)
            && self.action.is_none_or(|action| action == entry.action)
            && self.since.is_none_or(|since| entry.at >= since)
            && self.until.is_none_or(|until| entry.at < until)
            && self
                .after
                .is_none_or(|after| AuditPosition::of(entry) < after)
    }
}

/// A store's audit log, read newest first.
///
/// Semantics every implementation shares (the conformance suite states them as tests): the
/// log holds one entry per record a committed write changed, written in that write's
/// transaction; [`AuditLog::entries`] returns at most `limit` entries passing the filter,
/// newest first (by time, then id, descending).
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Up to `limit` entries passing `filter`, newest first.
    async fn entries(&self, filter: &AuditFilter, limit: usize) -> Result<Vec<AuditEntry>>;
}

#[async_trait]
impl<L: AuditLog + ?Sized> AuditLog for std::sync::Arc<L> {
    async fn entries(&self, filter: &AuditFilter, limit: usize) -> Result<Vec<AuditEntry>> {
        (**self).entries(filter, limit).await
    }
}
