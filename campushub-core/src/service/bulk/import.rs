//! Imports: rows upserted by natural key, validated whole before anything is written.
//!
//! An import is a bulk create of the rows whose key no record has and a bulk update of the
//! others, through the same checks, audit entries and change events as the bulk routes, but
//! without their cap on rows, and with a row of the wrong shape reported on its own rather
//! than refusing the call. Every row is checked before the store is asked to write anything,
//! so a dry run reports what a commit would refuse and writes nothing.
//!
//! The new rows and the changed rows go to the store as one batch
//! ([`Repository::insert_update_many`](crate::Repository::insert_update_many)). All or
//! nothing ([`BatchMode::AllOrNothing`], the default): a row refused by the checks writes
//! nothing, and a row the store refuses while writing (a unique value taken meanwhile, a
//! version moved) rolls the whole batch back, in one transaction: no record, audit entry or
//! outbox row of the import stays. Best effort ([`BatchMode::EachRow`]) writes every row
//! that passes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::actions::patched_input;
use super::super::input;
use super::super::write::updated;
use super::super::{EntityService, RowError, MAX_BULK_ROWS};
use super::rows::{duplicate, key_field, Batch};
use crate::audit_log::AuditAction;
use crate::auth::{Action, Principal};
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::event::ChangeOp;
use crate::meta::RecordMeta;
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

/// Where an import is, for a progress bar: told as rows are checked, then once before the
/// write (a single batch, which reports nothing until it ends).
pub trait ImportProgress: Send + Sync {
    /// `rows` more rows were checked.
    fn checked(&self, rows: usize);
    /// The checks are over; `rows` rows go to the store now.
    fn writing(&self, rows: usize);
}

/// No progress reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn checked(&self, _rows: usize) {}
    fn writing(&self, _rows: usize) {}
}

/// Rows checked between two reports to an [`ImportProgress`].
const PROGRESS_ROWS: usize = 1_000;

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
    /// Upserts `rows` (bodies by field name, each carrying the natural key) as
    /// [`ImportOptions`] say: creates the rows whose key no record has, patches the others
    /// (absent fields unchanged). Rows are reported by their index in `rows`.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without both `Create` and `Update`, or for a caller whose access
    /// is scoped to some records; [`Error::Validation`] for a kind without a natural key;
    /// store failures as they come (nothing written by the failing transaction).
    #[tracing::instrument(level = "debug", name = "service.import", skip_all, fields(entity.kind = %E::KIND, rows = rows.len()))]
    pub async fn import_rows(
        &self,
        principal: &Principal,
        rows: Vec<Map<String, Value>>,
        options: ImportOptions,
    ) -> Result<ImportOutcome> {
        self.import_rows_reporting(principal, rows, options, &NoProgress)
            .await
    }

    /// [`EntityService::import_rows`], telling `progress` as rows are checked and when the
    /// write starts.
    ///
    /// # Errors
    /// As [`EntityService::import_rows`].
    pub async fn import_rows_reporting(
        &self,
        principal: &Principal,
        rows: Vec<Map<String, Value>>,
        options: ImportOptions,
        progress: &dyn ImportProgress,
    ) -> Result<ImportOutcome> {
        let total = rows.len();
        for action in [Action::Create, Action::Update] {
            self.authorize(principal, action)?;
            self.refuse_scoped_bulk(principal, action)?;
        }
        let key = key_field::<E>()?;
        let mut refused = Vec::new();
        let mut first_row: HashMap<String, usize> = HashMap::new();
        let mut keyed = Vec::with_capacity(rows.len());
        for (index, row) in rows.into_iter().enumerate() {
            let natural_key = match row.get(key) {
                Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
                _ => {
                    let mut errors = ValidationErrors::new();
                    errors.add(key, "This field is required.");
                    refused.push(RowError { index, errors });
                    continue;
                }
            };
            if let Some(first) = first_row.get(&natural_key) {
                refused.push(RowError {
                    index,
                    errors: duplicate(key, *first),
                });
                continue;
            }
            first_row.insert(natural_key.clone(), index);
            keyed.push((index, natural_key, row));
        }
        let mut targets = HashMap::new();
        for chunk in keyed.chunks(MAX_BULK_ROWS) {
            let keys = chunk.iter().map(|(_, natural_key, _)| natural_key.clone());
            targets.extend(self.find_targets(keys).await?);
        }
        let definitions = self.write_definitions().await?;
        let mut creates = Batch::new(key);
        let mut updates = Batch::new(key);
        let mut previous: HashMap<uuid::Uuid, E> = HashMap::new();
        // First every row as the record it would write, then the values other records
        // already hold, then each row's checks.
        let mut candidates: Vec<(usize, E, Option<E>)> = Vec::with_capacity(keyed.len());
        for (index, natural_key, row) in keyed {
            match targets.remove(&natural_key) {
                None => match input::decode_body::<E::Create>(E::schema(), Value::Object(row)) {
                    Ok(input) => {
                        let record = E::from_input(input, RecordMeta::new(), &principal.subject);
                        candidates.push((index, record, None));
                    }
                    Err(errors) => creates.reject(index, errors),
                },
                Some(current) => {
                    let patched = input::checked_patch::<E::Create>(E::schema(), row)
                        .map_err(Error::Validation)
                        .and_then(|patch| patched_input(&current, patch));
                    match patched {
                        Ok(input) => {
                            let record = updated(&current, input, &principal.subject);
                            candidates.push((index, record, Some(current)));
                        }
                        Err(Error::Validation(errors)) => updates.reject(index, errors),
                        Err(other) => return Err(other),
                    }
                }
            }
        }
        let taken = self
            .taken_values(candidates.iter().map(|(_, record, _)| record))
            .await?;
        // Rows refused before the per-row checks count as checked now.
        let mut unreported = total - candidates.len();
        for (index, record, current) in candidates {
            unreported += 1;
            if unreported >= PROGRESS_ROWS {
                progress.checked(unreported);
                unreported = 0;
            }
            let errors = clashes(&taken, &record);
            let batch = match current {
                None => &mut creates,
                Some(_) => &mut updates,
            };
            let row = (index, record, current.as_ref());
            self.check_row_with(principal, &definitions, batch, row, errors)
                .await?;
            if let Some(current) = current {
                previous.insert(current.meta().id, current);
            }
        }
        progress.checked(unreported);
        let any_refused = !refused.is_empty() || creates.has_refused() || updates.has_refused();
        if options.dry_run || (options.mode == BatchMode::AllOrNothing && any_refused) {
            let (created, updated) = (creates.queued(), updates.queued());
            refused.extend(creates.into_refused());
            refused.extend(updates.into_refused());
            refused.sort_by_key(|row| row.index);
            // A refused all-or-nothing commit writes nothing; a dry run says what would be.
            let counted = options.dry_run;
            return Ok(ImportOutcome {
                created: if counted { created } else { 0 },
                updated: if counted { updated } else { 0 },
                errors: refused,
                ..ImportOutcome::default()
            });
        }
        progress.writing(creates.queued() + updates.queued());
        let written = self
            .write_import(principal, &creates, &updates, &previous, options.mode)
            .await?;
        let (inserted, changed) = written.split_at(creates.queued());
        let created = self
            .settle(principal, creates, inserted, ChangeOp::Created)
            .await?;
        let updated = self
            .settle(principal, updates, changed, ChangeOp::Updated)
            .await?;
        refused.extend(created.errors);
        refused.extend(updated.errors);
        refused.sort_by_key(|row| row.index);
        Ok(ImportOutcome {
            created: created.succeeded,
            updated: updated.succeeded,
            written: created.succeeded + updated.succeeded > 0,
            errors: refused,
            token: updated.token.or(created.token),
        })
    }

    /// Writes the queued rows of `creates` and `updates` as one batch (one transaction all
    /// or nothing), each change against the version read (`previous`, by id), with their
    /// audit entries. Outcomes: the creates' rows, then the updates'.
    async fn write_import(
        &self,
        principal: &Principal,
        creates: &Batch<E>,
        updates: &Batch<E>,
        previous: &HashMap<uuid::Uuid, E>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
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
        self.store_insert_update_many(inserts, &changes, entries, mode)
            .await
    }

    /// Which records already hold the unique values (natural key aside) of `records`: by
    /// field and value, the holder's id. Read on the primary, in rounds of at most one page
    /// of values per field (a unique value matches at most one record).
    async fn taken_values<'a>(
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

/// The errors of `record`'s unique values that another record holds.
fn clashes<E: Entity>(
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
    /// [`Error::Validation`] for a kind without a natural key; store failures as they come.
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
