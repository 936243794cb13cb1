//! The audit side of every write: the entry the service computes from the record before and
//! after (it has both: it re-reads the current record before writing), handed to the
//! repository's audited write, which stores it in the write's own transaction.

use uuid::Uuid;

use super::EntityService;
use crate::audit_log::{record_changes, AuditAction, AuditEntry};
use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::repository::{BatchMode, BulkWritten, Written};

impl<E: Entity> EntityService<E> {
    /// The entry of `principal`'s write `action` turning `before` into `after` (`None` before
    /// a create, after a deletion); `None` when the service does not audit.
    pub(super) fn audit_entry(
        &self,
        principal: &Principal,
        action: AuditAction,
        before: Option<&E>,
        after: Option<&E>,
    ) -> Result<Option<AuditEntry>> {
        let Some(settings) = &self.inner.audit else {
            return Ok(None);
        };
        let Some(id) = after.or(before).map(|record| record.meta().id) else {
            return Err(Error::internal(
                "an audit entry of no record",
                "neither the record before nor after the write was given",
            ));
        };
        let version = |record: Option<&E>| record.map(|r| r.meta().version);
        let mut entry = AuditEntry::new(
            principal,
            action,
            E::KIND,
            id,
            (version(before), version(after)),
        );
        entry.changes = record_changes(before, after, settings)?;
        Ok(Some(entry))
    }

    /// Inserts `record`, with `entry` when there is one.
    pub(super) async fn store_insert(
        &self,
        record: &E,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let repository = &self.inner.repository;
        match entry {
            Some(entry) => repository.insert_audited(record, entry).await,
            None => repository.insert(record).await,
        }
    }

    /// Updates `record` from `expected_version`, with `entry` when there is one.
    pub(super) async fn store_update(
        &self,
        record: &E,
        expected_version: i64,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let repository = &self.inner.repository;
        match entry {
            Some(entry) => {
                repository
                    .update_audited(record, expected_version, entry)
                    .await
            }
            None => repository.update(record, expected_version).await,
        }
    }

    /// Deletes record `id` at `expected_version`, with `entry` when there is one.
    pub(super) async fn store_delete(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: Option<&AuditEntry>,
    ) -> Result<Written> {
        let repository = &self.inner.repository;
        match entry {
            Some(entry) => repository.delete_audited(id, expected_version, entry).await,
            None => repository.delete(id, expected_version).await,
        }
    }

    /// Inserts `inserts` and updates `updates` as one batch (either may be empty), with
    /// their `entries` (the inserts', then the updates') when the service audits.
    pub(super) async fn store_insert_update_many(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: Option<Vec<AuditEntry>>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let repository = &self.inner.repository;
        match entries {
            Some(entries) => {
                repository
                    .insert_update_many_audited(inserts, updates, &entries, mode)
                    .await
            }
            None => repository.insert_update_many(inserts, updates, mode).await,
        }
    }

    /// Deletes `rows` (id, expected version), with their `entries` when the service audits.
    pub(super) async fn store_delete_many(
        &self,
        rows: &[(Uuid, i64)],
        entries: Option<Vec<AuditEntry>>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let repository = &self.inner.repository;
        match entries {
            Some(entries) => repository.delete_many_audited(rows, &entries, mode).await,
            None => repository.delete_many(rows, mode).await,
        }
    }

    /// The entries of a batch: one per `(before, after)` pair, `None` when the service does
    /// not audit.
    pub(super) fn audit_entries<'a>(
        &self,
        principal: &Principal,
        action: AuditAction,
        rows: impl IntoIterator<Item = (Option<&'a E>, Option<&'a E>)>,
    ) -> Result<Option<Vec<AuditEntry>>> {
        if self.inner.audit.is_none() {
            return Ok(None);
        }
        rows.into_iter()
            .map(|(before, after)| self.audit_entry(principal, action, before, after))
            .collect::<Result<Option<Vec<_>>>>()
    }
}
