//! Bulk create, update and delete keyed by the natural key, with per-row errors.
//!
//! Every bulk call authorizes once and checks the shape of every row against the kind's
//! declarations: a request with a row of the wrong shape is refused whole (a schema-violating
//! body, named per row and field), nothing written. Then it checks every row against the
//! kind's rules on its own, makes one store round trip for lookups and one for the batch
//! write, and reports per row. Rows are numbered from 0 in request order.
//!
//! A [`BatchMode`] says what a row that fails does to the others. [`BatchMode::AllOrNothing`]
//! (what the HTTP routes do unless asked otherwise) writes every row in one transaction or
//! none: a row that breaks a rule, or that the store refuses, leaves the whole batch
//! unwritten, and the report names every such row. [`BatchMode::EachRow`] writes the rows
//! that pass and reports the others. Either way a failure of the store itself (the database
//! unreachable, a connection lost) is the call's error and leaves nothing written: the store
//! writes a batch in one transaction.
//!
//! Events: **one [`crate::ChangeEvent`] per changed row**, emitted after the batch returned,
//! in row order, all carrying the batch's consistency token. Failed rows emit nothing.
//! Per-row events keep the cache's per-record tombstones exact; the generation bumps they
//! cause are cheap and idempotent.

mod import;
mod import_run;
mod key_rows;
mod rows;

use std::collections::HashMap;

use serde_json::Value;

pub use self::import::{ImportOptions, ImportOutcome, ImportProgress, NoProgress};
pub use self::import_run::{ImportRun, IMPORT_BATCH_ROWS};
pub(crate) use self::key_rows::KeyRows;
pub use self::rows::ROWS;
use self::rows::{check_row_count, key_field, parse_update_row, Batch};
use super::actions::patched_input;
use super::write::updated;
use super::{input, BulkReport, EntityService};
use crate::audit_log::AuditAction;
use crate::auth::{Action, Principal};
use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::event::ChangeOp;
use crate::meta::RecordMeta;
use crate::repository::BatchMode;

impl<E: Entity> EntityService<E> {
    /// Creates every row that passes the kind's rules; the others are reported by index.
    ///
    /// Every row is first decoded and checked against the fields' declarations like a single
    /// create's body: a row that does not have the declared shape (a wrong type, a value out
    /// of its declared length, range or pattern, an unknown or missing field) refuses the
    /// whole request, naming each such field as `rows[<index>].<field>`, and nothing is
    /// written. The rows are then checked against the kind's rules; a row that breaks one,
    /// or repeats a natural key or unique value of an earlier valid row of the same request,
    /// is reported on its own. The valid rows go to the store in one `insert_many`; a row the
    /// store refuses (a value already taken, a missing referenced record) is reported under
    /// its field.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `Create`; [`Error::Validation`] when a row does not have
    /// the declared shape, when the kind has no natural key, or on `rows` when there are more
    /// than [`super::MAX_BULK_ROWS`].
    #[tracing::instrument(level = "debug", name = "service.bulk_create", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn bulk_create(
        &self,
        principal: &Principal,
        rows: Vec<Value>,
        mode: BatchMode,
    ) -> Result<BulkReport> {
        self.authorize(principal, Action::Create)?;
        self.refuse_scoped_bulk(principal, Action::Create)?;
        let key = key_field::<E>()?;
        check_row_count(rows.len())?;
        let mut shape = ValidationErrors::new();
        let mut records = Vec::with_capacity(rows.len());
        for (index, row) in rows.into_iter().enumerate() {
            match input::decode_body::<E::Create>(E::schema(), row) {
                Ok(input) => records.push((
                    index,
                    E::from_input(input, RecordMeta::new(), &principal.subject),
                )),
                Err(errors) => shape.merge_prefixed(&row_name(index), errors),
            }
        }
        shape.into_result()?;
        let definitions = self.write_definitions().await?;
        let mut batch = Batch::new(key);
        for (index, record) in records {
            self.check_row(principal, &definitions, &mut batch, index, record, None)
                .await?;
        }
        let outcome = self.write_creates(principal, &batch, mode).await?;
        self.settle(principal, batch, outcome, ChangeOp::Created)
            .await
    }

    /// Patches rows addressed by natural key (each row an object carrying the key field).
    ///
    /// Every row is first checked as a single PATCH body is ([`EntityService::partial_update`]),
    /// its key field required and a string: a row without that shape refuses the whole
    /// request as [`EntityService::bulk_create`] describes, and nothing is written. The
    /// targets are then read in one `find_by_natural_keys` on the primary; a key without a
    /// record, or repeated in the request, is an error on the key field of its row. The rest
    /// of each row is a JSON merge patch, checked against the kind's rules like a single
    /// partial update; the valid rows are written in one `update_many`, each against the
    /// version just read.
    ///
    /// # Errors
    /// As [`EntityService::bulk_create`], with `Update`.
    #[tracing::instrument(level = "debug", name = "service.bulk_update", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn bulk_update(
        &self,
        principal: &Principal,
        rows: Vec<Value>,
        mode: BatchMode,
    ) -> Result<BulkReport> {
        self.authorize(principal, Action::Update)?;
        self.refuse_scoped_bulk(principal, Action::Update)?;
        let key = key_field::<E>()?;
        check_row_count(rows.len())?;
        let mut batch = Batch::new(key);
        let mut patches = Vec::new();
        let mut first_row = HashMap::new();
        let mut shape = ValidationErrors::new();
        for (index, row) in rows.into_iter().enumerate() {
            let parsed = parse_update_row(key, row).and_then(|(natural_key, patch)| {
                input::checked_patch::<E::Create>(E::schema(), patch)
                    .map(|patch| (natural_key, patch))
            });
            match parsed {
                Ok((natural_key, _)) if first_row.contains_key(&natural_key) => {
                    batch.reject(index, rows::duplicate(key, first_row[&natural_key]));
                }
                Ok((natural_key, patch)) => {
                    first_row.insert(natural_key.clone(), index);
                    patches.push((index, natural_key, patch));
                }
                Err(errors) => shape.merge_prefixed(&row_name(index), errors),
            }
        }
        shape.into_result()?;
        let mut targets = self
            .find_targets(patches.iter().map(|p| p.1.clone()))
            .await?;
        let definitions = if patches.is_empty() {
            Vec::new()
        } else {
            self.write_definitions().await?
        };
        // The records read, by id: the "before" of each row's audit entry.
        let mut previous: HashMap<uuid::Uuid, E> = HashMap::new();
        for (index, natural_key, patch) in patches {
            let Some(current) = targets.remove(&natural_key) else {
                batch.reject(index, rows::unknown_key::<E>(key, &natural_key));
                continue;
            };
            let input = match patched_input(&current, patch) {
                Ok(input) => input,
                // The patch had the declared shape; what is left is a combination of keys.
                Err(Error::Validation(errors)) => {
                    batch.reject(index, errors);
                    continue;
                }
                Err(other) => return Err(other),
            };
            let record = updated(&current, input, &principal.subject);
            previous.insert(current.meta().id, current.clone());
            self.check_row(
                principal,
                &definitions,
                &mut batch,
                index,
                record,
                Some(&current),
            )
            .await?;
        }
        let outcome = self
            .write_updates(principal, &batch, &previous, mode)
            .await?;
        self.settle(principal, batch, outcome, ChangeOp::Updated)
            .await
    }

    /// Deletes rows addressed by natural key.
    ///
    /// The targets are read in one `find_by_natural_keys` on the primary and deleted in one
    /// `delete_many`, each at the version just read. A key without a record, or repeated in
    /// the request, is an error on the key field; a record still referenced elsewhere is a
    /// conflict reported on its row.
    ///
    /// # Errors
    /// As [`EntityService::bulk_create`], with `Delete`.
    #[tracing::instrument(level = "debug", name = "service.bulk_delete", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn bulk_delete(
        &self,
        principal: &Principal,
        keys: Vec<String>,
        mode: BatchMode,
    ) -> Result<BulkReport> {
        self.authorize(principal, Action::Delete)?;
        self.refuse_scoped_bulk(principal, Action::Delete)?;
        let key = key_field::<E>()?;
        check_row_count(keys.len())?;
        let mut targets = self.find_targets(keys.iter().cloned()).await?;
        let mut batch = Batch::new(key);
        let mut first_row = HashMap::new();
        for (index, natural_key) in keys.into_iter().enumerate() {
            if let Some(first) = first_row.get(&natural_key) {
                batch.reject(index, rows::duplicate(key, *first));
                continue;
            }
            first_row.insert(natural_key.clone(), index);
            match targets.remove(&natural_key) {
                Some(current) => batch.accept_if_valid(index, current, ValidationErrors::new()),
                None => batch.reject(index, rows::unknown_key::<E>(key, &natural_key)),
            }
        }
        let outcome = if batch.goes_to_store(mode) {
            let rows: Vec<_> = batch
                .records()
                .iter()
                .map(|record| (record.meta().id, record.meta().version))
                .collect();
            let entries = self.audit_entries(
                principal,
                AuditAction::BulkDelete,
                batch.records().iter().map(|record| (Some(record), None)),
            )?;
            self.store_delete_many(&rows, entries, mode).await?
        } else {
            Default::default()
        };
        self.settle(principal, batch, outcome, ChangeOp::Deleted)
            .await
    }

    /// Checks row `index`'s record like a single write would (`previous` is the stored record
    /// on update), then queues it in `batch` or refuses it with its errors.
    async fn check_row(
        &self,
        principal: &Principal,
        definitions: &[CustomFieldDef],
        batch: &mut Batch<E>,
        index: usize,
        record: E,
        previous: Option<&E>,
    ) -> Result<()> {
        let errors = ValidationErrors::new();
        self.check_row_with(
            principal,
            definitions,
            batch,
            (index, record, previous),
            errors,
        )
        .await
    }

    /// [`Self::check_row`] of `(index, record, previous)`, with `errors` already found for
    /// the row.
    async fn check_row_with(
        &self,
        principal: &Principal,
        definitions: &[CustomFieldDef],
        batch: &mut Batch<E>,
        (index, mut record, previous): (usize, E, Option<&E>),
        mut errors: ValidationErrors,
    ) -> Result<()> {
        self.check_record(principal, &mut record, previous, definitions, &mut errors)
            .await?;
        batch.accept_if_valid(index, record, errors);
        Ok(())
    }

    /// The records whose natural keys are among `keys`, by key, in one round trip on the
    /// primary (none when there are no keys).
    async fn find_targets(&self, keys: impl Iterator<Item = String>) -> Result<HashMap<String, E>> {
        let keys: Vec<String> = keys.collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let found = self
            .inner
            .repository
            .find_by_natural_keys(&keys, &Self::primary())
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|record| record.natural_key().map(|key| (key, record)))
            .collect())
    }

    /// Maps the store's per-row outcomes back to request rows, announces the committed rows
    /// (one event each), and reports.
    async fn settle(
        &self,
        principal: &Principal,
        batch: Batch<E>,
        outcome: crate::repository::BulkWritten,
        op: ChangeOp,
    ) -> Result<BulkReport> {
        let token = outcome.token;
        let (committed, errors) = batch.settle(outcome);
        let events: Vec<_> = committed
            .iter()
            .map(|record| self.event(record, op, token))
            .collect();
        self.emit(principal, events).await;
        Ok(BulkReport {
            succeeded: committed.len(),
            errors,
            token,
        })
    }
}

/// The name a row's fields are reported under when its shape refuses the request: `rows[3]`
/// (the HTTP layer names it after the body's member, `students[3]`).
fn row_name(index: usize) -> String {
    format!("{ROWS}[{index}]")
}
