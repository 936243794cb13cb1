//! Imports: rows upserted by natural key, checked and written a batch at a time.
//!
//! An import is a bulk create of the rows whose key no record has and a bulk update of the
//! others, through the same checks, audit entries and change events as the bulk routes, but
//! without their cap on rows, and with a row of the wrong shape reported on its own rather
//! than refusing the call. The rows come in batches ([`ImportRun`](super::ImportRun)): each
//! is checked against the store and against the file's earlier rows (natural keys and
//! unique values seen, kept compact), then written, so that memory holds one batch whatever
//! the file's size. A dry run checks every batch and writes nothing.
//!
//! All or nothing ([`BatchMode::AllOrNothing`], the default): the batches go into one
//! transaction kept open across them ([`Repository::write_session`](crate::Repository::write_session)),
//! committed after the last one. A row refused by the checks or by the store (a unique value
//! taken meanwhile, a version moved) rolls it back at once, and the rest of the file is only
//! checked, so that the report still names every problem: no record, audit entry or outbox
//! row of the import stays. Best effort ([`BatchMode::EachRow`]) writes the rows of each
//! batch that pass, a transaction per batch.

use std::collections::HashMap;

use super::super::{EntityService, RowError, MAX_BULK_ROWS};
use super::rows::{key_field, Batch};
use crate::audit_log::{AuditAction, AuditEntry};
use crate::auth::Principal;
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::{Result, ValidationErrors};
use crate::query::{Filter, FilterField, FilterValue, ListQuery, Op, MAX_PAGE_SIZE};
use crate::repository::{BatchMode, BulkWritten};
use crate::schema::Ops;
use crate::value::Scalar;

/// How an import runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Check every row and write nothing.
    pub dry_run: bool,
    /// What a refused row does to the others.
    pub mode: BatchMode,
}

/// Where an import is, for a progress bar: told as each batch of rows is checked and as it
/// is written.
pub trait ImportProgress: Send + Sync {
    /// `rows` more rows were checked.
    fn checked(&self, rows: usize);
    /// The checks are over and `rows` rows go to the store in one write now: only where the
    /// store cannot keep a transaction open across batches (see
    /// [`Repository::write_session`](crate::Repository::write_session)), for an
    /// all-or-nothing commit.
    fn writing(&self, rows: usize);
    /// `rows` more rows were written (in an all-or-nothing commit: into its transaction,
    /// which commits at the end). The default ignores it.
    fn written(&self, rows: usize) {
        let _ = rows;
    }
}

/// No progress reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn checked(&self, _rows: usize) {}
    fn writing(&self, _rows: usize) {}
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOutcome {
    /// Rows created (in a dry run: that would be).
    pub created: usize,
    /// Rows updated (in a dry run: that would be).
    pub updated: usize,
    /// Whether anything was written.
    pub written: bool,
    /// The refused rows, by index in the rows given, in order.
    pub errors: Vec<RowError>,
    /// The consistency token of the last commit, for read-your-writes.
    pub token: Option<ConsistencyToken>,
}

impl<E: Entity> EntityService<E> {
    /// Writes the queued rows of `creates` and `updates` as one batch (one transaction all
    /// or nothing), each change against the version read (`previous`, by id), with their
    /// audit entries. Outcomes: the creates' rows, then the updates'.
    pub(super) async fn write_import(
        &self,
        principal: &Principal,
        creates: &Batch<E>,
        updates: &Batch<E>,
        previous: &HashMap<uuid::Uuid, E>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let (inserts, changes, entries) =
            self.import_writes(principal, creates, updates, previous, mode)?;
        self.store_insert_update_many(inserts, &changes, entries, mode)
            .await
    }

    /// What a batch of an import writes: the new records, the changed ones with the version
    /// each was read at, and their audit entries (the inserts', then the updates'; `None`
    /// when the service does not audit). Nothing when the batch does not go to the store.
    pub(super) fn import_writes<'b>(
        &self,
        principal: &Principal,
        creates: &'b Batch<E>,
        updates: &Batch<E>,
        previous: &HashMap<uuid::Uuid, E>,
        mode: BatchMode,
    ) -> Result<ImportWrites<'b, E>> {
        let inserts = if creates.goes_to_store(mode) {
            creates.records()
        } else {
            &[]
        };
        // Each record carries the version after the one read (see `updated`).
        let changes: Vec<(E, i64)> = if updates.goes_to_store(mode) {
            updates
                .records()
                .iter()
                .map(|record| (record.clone(), record.meta().version - 1))
                .collect()
        } else {
            Vec::new()
        };
        let created = self.audit_entries(
            principal,
            AuditAction::BulkCreate,
            inserts.iter().map(|record| (None, Some(record))),
        )?;
        let changed = self.audit_entries(
            principal,
            AuditAction::BulkUpdate,
            changes
                .iter()
                .map(|(record, _)| (previous.get(&record.meta().id), Some(record))),
        )?;
        let entries = created.zip(changed).map(|(mut created, changed)| {
            created.extend(changed);
            created
        });
        Ok((inserts, changes, entries))
    }

    /// Which records already hold the unique values (natural key aside) of `records`: by
    /// field and value, the holder's id. Read on the primary, in rounds of at most one page
    /// of values per field (a unique value matches at most one record).
    pub(super) async fn taken_values<'a>(
        &self,
        records: impl Iterator<Item = &'a E>,
    ) -> Result<HashMap<(&'static str, String), uuid::Uuid>>
    where
        E: 'a,
    {
        let key = E::schema().natural_key;
        let mut wanted: HashMap<&'static str, Vec<String>> = HashMap::new();
        for record in records {
            for (field, value) in record.unique_values() {
                if Some(field) != key {
                    wanted.entry(field).or_default().push(value);
                }
            }
        }
        let mut taken = HashMap::new();
        for (field, mut values) in wanted {
            let Some(spec) = E::schema().field(field) else {
                continue;
            };
            if !spec.ops.contains(Ops::IN) {
                // Not filterable: the store reports a clash when it writes.
                continue;
            }
            values.sort();
            values.dedup();
            for chunk in values.chunks(MAX_PAGE_SIZE as usize) {
                let mut query = ListQuery::new(E::schema());
                query.page_size = MAX_PAGE_SIZE;
                query.filters.push(Filter {
                    field: FilterField::Schema(spec),
                    op: Op::In,
                    value: FilterValue::Many(chunk.iter().cloned().map(Scalar::Text).collect()),
                });
                let found = self.inner.repository.list(&query, &Self::primary()).await?;
                for holder in found {
                    for (name, value) in holder.unique_values() {
                        if name == field {
                            taken.insert((field, value), holder.meta().id);
                        }
                    }
                }
            }
        }
        Ok(taken)
    }

    /// Writes the queued new rows of `batch` (nothing when it does not go to the store).
    pub(super) async fn write_creates(
        &self,
        principal: &Principal,
        batch: &Batch<E>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        if !batch.goes_to_store(mode) {
            return Ok(BulkWritten::default());
        }
        let records = batch.records();
        let entries = self.audit_entries(
            principal,
            AuditAction::BulkCreate,
            records.iter().map(|record| (None, Some(record))),
        )?;
        self.store_insert_update_many(records, &[], entries, mode)
            .await
    }

    /// Writes the queued changed rows of `batch`, each against the version read
    /// (`previous`, by id).
    pub(super) async fn write_updates(
        &self,
        principal: &Principal,
        batch: &Batch<E>,
        previous: &HashMap<uuid::Uuid, E>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        if !batch.goes_to_store(mode) {
            return Ok(BulkWritten::default());
        }
        // Each record carries the version after the one read (see `updated`).
        let rows: Vec<(E, i64)> = batch
            .records()
            .iter()
            .map(|record| (record.clone(), record.meta().version - 1))
            .collect();
        let entries = self.audit_entries(
            principal,
            AuditAction::BulkUpdate,
            rows.iter()
                .map(|(record, _)| (previous.get(&record.meta().id), Some(record))),
        )?;
        self.store_insert_update_many(&[], &rows, entries, mode)
            .await
    }
}

/// The rows one write of an import stores (see [`EntityService::import_writes`]): the new
/// records, the changed ones with their expected versions, and the audit entries.
pub(super) type ImportWrites<'b, E> = (&'b [E], Vec<(E, i64)>, Option<Vec<AuditEntry>>);

/// The errors of `record`'s unique values that another record holds.
pub(super) fn clashes<E: Entity>(
    taken: &HashMap<(&'static str, String), uuid::Uuid>,
    record: &E,
) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    for (field, value) in record.unique_values() {
        if let Some(holder) = taken.get(&(field, value)) {
            if *holder != record.meta().id {
                errors.add(
                    field,
                    format!("A {} with this {field} already exists.", E::KIND),
                );
            }
        }
    }
    errors
}

impl<E: Entity> EntityService<E> {
    /// The ids of the records whose natural keys are among `keys`, by key, read on the
    /// primary in rounds of at most [`MAX_BULK_ROWS`] keys. It answers no more than a write
    /// naming the ids would learn (whether such a record exists), so it needs no permission
    /// on this kind: it serves imports of other kinds that reference this one by key.
    ///
    /// # Errors
    /// [`Error::Validation`](crate::Error::Validation) for a kind without a natural key; store failures as they come.
    pub async fn ids_by_natural_keys(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, uuid::Uuid>> {
        key_field::<E>()?;
        let mut ids = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_BULK_ROWS) {
            let found = self.find_targets(chunk.iter().cloned()).await?;
            ids.extend(
                found
                    .into_iter()
                    .map(|(key, record)| (key, record.meta().id)),
            );
        }
        Ok(ids)
    }
}
