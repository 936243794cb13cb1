//! An import in progress: its rows given a batch at a time, checked against the store and
//! against the earlier rows, and written as [`ImportOptions`] say (see the [`super::import`]
//! module's documentation).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::super::actions::patched_input;
use super::super::input;
use super::super::write::updated;
use super::super::{EntityService, RowError, MAX_BULK_ROWS};
use super::import::{clashes, ImportOptions, ImportOutcome, ImportProgress, NoProgress};
use super::key_rows::KeyRows;
use super::rows::{duplicate, key_field, Batch};
use crate::auth::{Action, Principal};
use crate::consistency::ConsistencyToken;
use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::event::ChangeOp;
use crate::meta::RecordMeta;
use crate::repository::{BatchMode, BulkWritten, WriteSession};

/// Rows an import checks and writes at a time: what it holds in memory, whatever the size
/// of the file.
pub const IMPORT_BATCH_ROWS: usize = 1_000;

/// An import under way (see [`EntityService::start_import`]): give it the rows batch by
/// batch with [`ImportRun::rows`], then [`ImportRun::finish`] it.
///
/// Across batches it keeps only what later rows are checked against: the natural keys seen
/// (a repeat names the first row), the unique values claimed by rows that passed (a clash
/// inside the file), the refused rows' errors, the counts, and, for an all-or-nothing
/// commit, the change events to announce once it commits. Every problem is kept: an entry
/// is a few field messages, small beside the rows, and the report promises all of them.
pub struct ImportRun<'a, E: Entity> {
    service: &'a EntityService<E>,
    principal: &'a Principal,
    options: ImportOptions,
    key: &'static str,
    definitions: Vec<CustomFieldDef>,
    /// The row of each natural key seen, for repeats.
    first_row: KeyRows,
    /// The rows that create and those that change: their claims and refusals.
    creates: Batch<E>,
    updates: Batch<E>,
    /// The refused rows, by the caller's numbers.
    refused: Vec<RowError>,
    /// All or nothing: a row was refused, so nothing is written and the rest only checked.
    check_only: bool,
    /// The all-or-nothing commit's open transaction.
    session: Option<Box<dyn WriteSession<E> + 'a>>,
    /// Without a session, an all-or-nothing commit holds every checked row (read before it
    /// changed, by id) and writes them at the end.
    held: Option<HashMap<uuid::Uuid, E>>,
    /// The changes written into the session, announced after it commits: what their events
    /// are made of (an event for each is made then), a few dozen bytes a row.
    events: Vec<Committed>,
    created: usize,
    updated: usize,
    token: Option<ConsistencyToken>,
}

/// A change written into an all-or-nothing import's transaction: what its event says.
struct Committed {
    id: uuid::Uuid,
    version: i64,
    op: ChangeOp,
}

impl Committed {
    fn of<E: Entity>(record: &E, op: ChangeOp) -> Self {
        Committed {
            id: record.meta().id,
            version: record.meta().version,
            op,
        }
    }
}

impl<E: Entity> std::fmt::Debug for ImportRun<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportRun")
            .field("kind", &E::KIND)
            .field("options", &self.options)
            .field("refused", &self.refused.len())
            .field("check_only", &self.check_only)
            .field("session", &self.session.is_some())
            .field("created", &self.created)
            .field("updated", &self.updated)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> EntityService<E> {
    /// Starts an import as `principal`, as `options` say: an all-or-nothing commit opens its
    /// transaction now ([`Repository::write_session`](crate::Repository::write_session)).
    ///
    /// # Errors
    /// [`Error::Forbidden`] without both `Create` and `Update`, or for a caller whose access
    /// is scoped to some records; [`Error::Validation`] for a kind without a natural key;
    /// store failures.
    pub async fn start_import<'a>(
        &'a self,
        principal: &'a Principal,
        options: ImportOptions,
    ) -> Result<ImportRun<'a, E>> {
        for action in [Action::Create, Action::Update] {
            self.authorize(principal, action)?;
            self.refuse_scoped_bulk(principal, action)?;
        }
        let key = key_field::<E>()?;
        let definitions = self.write_definitions().await?;
        let committing = !options.dry_run && options.mode == BatchMode::AllOrNothing;
        let session = match committing {
            true => self.inner.repository.write_session().await?,
            false => None,
        };
        let held = (committing && session.is_none()).then(HashMap::new);
        Ok(ImportRun {
            service: self,
            principal,
            options,
            key,
            definitions,
            first_row: KeyRows::default(),
            creates: Batch::new(key),
            updates: Batch::new(key),
            refused: Vec::new(),
            check_only: false,
            session,
            held,
            events: Vec::new(),
            created: 0,
            updated: 0,
            token: None,
        })
    }

    /// Upserts `rows` (bodies by field name, each carrying the natural key) as
    /// [`ImportOptions`] say: creates the rows whose key no record has, patches the others
    /// (absent fields unchanged). Rows are reported by their index in `rows`.
    ///
    /// # Errors
    /// As [`EntityService::start_import`]; store failures as they come (nothing written by
    /// the failing transaction).
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

    /// [`EntityService::import_rows`], telling `progress` as rows are checked and written.
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
        let mut run = self.start_import(principal, options).await?;
        let mut rows = rows.into_iter().enumerate().peekable();
        while rows.peek().is_some() {
            let batch = rows.by_ref().take(IMPORT_BATCH_ROWS).collect();
            run.rows(batch, progress).await?;
        }
        run.finish(progress).await
    }
}

impl<E: Entity> ImportRun<'_, E> {
    /// A row the caller refused itself (a cell it could not read): all or nothing, the
    /// import writes nothing, and what it wrote so far is rolled back.
    ///
    /// # Errors
    /// The store's, rolling back.
    pub async fn refused_elsewhere(&mut self) -> Result<()> {
        self.stop_writing().await
    }

    /// Checks the next `rows` (each with the number the caller reports it by), then writes
    /// those that pass as the options say, telling `progress`.
    ///
    /// # Errors
    /// Store failures (an all-or-nothing commit is rolled back).
    pub async fn rows(
        &mut self,
        rows: Vec<(usize, Map<String, Value>)>,
        progress: &dyn ImportProgress,
    ) -> Result<()> {
        let count = rows.len();
        let key = self.key;
        let mut keyed = Vec::with_capacity(count);
        for (index, row) in rows {
            let natural_key = match row.get(key) {
                Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
                _ => {
                    let mut errors = ValidationErrors::new();
                    errors.add(key, "This field is required.");
                    self.refused.push(RowError { index, errors });
                    continue;
                }
            };
            if let Some(first) = self.first_row.first_or_insert(&natural_key, index) {
                let errors = duplicate(key, first);
                self.refused.push(RowError { index, errors });
                continue;
            }
            keyed.push((index, natural_key, row));
        }
        let service = self.service;
        let principal = self.principal;
        let mut targets = HashMap::new();
        for chunk in keyed.chunks(MAX_BULK_ROWS) {
            let keys = chunk.iter().map(|(_, natural_key, _)| natural_key.clone());
            targets.extend(service.find_targets(keys).await?);
        }
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
                    Err(errors) => self.creates.reject(index, errors),
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
                        Err(Error::Validation(errors)) => self.updates.reject(index, errors),
                        Err(other) => return Err(other),
                    }
                }
            }
        }
        let taken = service
            .taken_values(candidates.iter().map(|(_, record, _)| record))
            .await?;
        // The records read, by id: the "before" of each changed row's audit entry.
        let mut previous: HashMap<uuid::Uuid, E> = HashMap::new();
        for (index, record, current) in candidates {
            let errors = clashes(&taken, &record);
            let batch = match current {
                None => &mut self.creates,
                Some(_) => &mut self.updates,
            };
            let row = (index, record, current.as_ref());
            service
                .check_row_with(principal, &self.definitions, batch, row, errors)
                .await?;
            if let Some(current) = current {
                previous.insert(current.meta().id, current);
            }
        }
        progress.checked(count);
        self.write(previous, progress).await
    }

    /// Writes the rows of the batch just checked (`previous`: the changed rows' records as
    /// read, by id), or counts them when nothing is written.
    async fn write(
        &mut self,
        previous: HashMap<uuid::Uuid, E>,
        progress: &dyn ImportProgress,
    ) -> Result<()> {
        self.refused.extend(self.creates.take_refused());
        self.refused.extend(self.updates.take_refused());
        if self.options.mode == BatchMode::AllOrNothing && !self.refused.is_empty() {
            self.stop_writing().await?;
        }
        if self.options.dry_run {
            self.created += self.creates.take_queued().queued();
            self.updated += self.updates.take_queued().queued();
            return Ok(());
        }
        if self.check_only {
            drop((self.creates.take_queued(), self.updates.take_queued()));
            return Ok(());
        }
        if let Some(held) = self.held.as_mut() {
            // Written at the end: the creates and updates stay queued.
            held.extend(previous);
            return Ok(());
        }
        let creates = self.creates.take_queued();
        let updates = self.updates.take_queued();
        let rows = creates.queued() + updates.queued();
        if rows == 0 {
            return Ok(());
        }
        let service = self.service;
        let principal = self.principal;
        let mode = self.options.mode;
        let written = match self.session.as_mut() {
            Some(session) => {
                let (inserts, changes, entries) =
                    service.import_writes(principal, &creates, &updates, &previous, mode)?;
                session.write(inserts, &changes, entries.as_deref()).await?
            }
            None => {
                service
                    .write_import(principal, &creates, &updates, &previous, mode)
                    .await?
            }
        };
        let in_session = self.session.is_some();
        if in_session && (written.rolled_back || written.rows.iter().any(Result::is_err)) {
            self.stop_writing().await?;
        }
        let (inserted, changed) = written.split_at(creates.queued());
        if in_session {
            // Announced once the session commits; the refused rows' errors now.
            for (batch, outcome, op) in [
                (creates, inserted, ChangeOp::Created),
                (updates, changed, ChangeOp::Updated),
            ] {
                let (committed, errors) = batch.settle(outcome);
                self.refused.extend(errors);
                let count = committed.len();
                match op {
                    ChangeOp::Created => self.created += count,
                    _ => self.updated += count,
                }
                self.events
                    .extend(committed.iter().map(|record| Committed::of(record, op)));
            }
        } else {
            self.announce(creates, updates, (inserted, changed)).await?;
        }
        progress.written(rows);
        Ok(())
    }

    /// All or nothing: nothing more is written, what was is rolled back, and the rest of
    /// the file is only checked.
    async fn stop_writing(&mut self) -> Result<()> {
        let committing = !self.options.dry_run && self.options.mode == BatchMode::AllOrNothing;
        if !committing || self.check_only {
            return Ok(());
        }
        self.check_only = true;
        self.held = None;
        self.events = Vec::new();
        drop((self.creates.take_queued(), self.updates.take_queued()));
        match self.session.take() {
            Some(session) => session.rollback().await,
            None => Ok(()),
        }
    }

    /// Ends the import: commits an all-or-nothing import's transaction (or writes the rows
    /// it held), announces the changes, and reports.
    ///
    /// # Errors
    /// Store failures (nothing of an all-or-nothing import written).
    pub async fn finish(mut self, progress: &dyn ImportProgress) -> Result<ImportOutcome> {
        if self.held.is_some() && !self.check_only {
            self.write_held(progress).await?;
        }
        if let Some(session) = self.session.take() {
            if self.check_only {
                session.rollback().await?;
            } else {
                let token = session.commit().await?;
                self.token = self.token.max(token);
                let service = self.service;
                let events = std::mem::take(&mut self.events);
                let events = events
                    .into_iter()
                    .map(|change| service.event_at(change.id, change.op, change.version, token));
                service.emit(self.principal, events).await;
            }
        }
        let mut errors = self.refused;
        errors.sort_by_key(|row| row.index);
        // A refused all-or-nothing commit writes nothing; a dry run says what would be.
        let unwritten = self.check_only && !self.options.dry_run;
        let (created, updated) = match unwritten {
            true => (0, 0),
            false => (self.created, self.updated),
        };
        Ok(ImportOutcome {
            created,
            updated,
            written: !self.options.dry_run && created + updated > 0,
            errors,
            token: self.token,
        })
    }

    /// Writes the rows an all-or-nothing commit held (a store without sessions) in one
    /// batch, and announces them.
    async fn write_held(&mut self, progress: &dyn ImportProgress) -> Result<()> {
        let previous = self.held.take().unwrap_or_default();
        let creates = self.creates.take_queued();
        let updates = self.updates.take_queued();
        let rows = creates.queued() + updates.queued();
        progress.writing(rows);
        let service = self.service;
        let mode = self.options.mode;
        let written = service
            .write_import(self.principal, &creates, &updates, &previous, mode)
            .await?;
        if written.rolled_back {
            self.check_only = true;
        }
        let outcomes = written.split_at(creates.queued());
        self.announce(creates, updates, outcomes).await?;
        progress.written(rows);
        Ok(())
    }

    /// Settles a write that committed on its own (`outcomes`: the creates', the updates'):
    /// announces the rows written, counts them, and keeps the refused rows' errors.
    async fn announce(
        &mut self,
        creates: Batch<E>,
        updates: Batch<E>,
        (inserted, changed): (BulkWritten, BulkWritten),
    ) -> Result<()> {
        let service = self.service;
        let created = service
            .settle(self.principal, creates, inserted, ChangeOp::Created)
            .await?;
        let updated = service
            .settle(self.principal, updates, changed, ChangeOp::Updated)
            .await?;
        self.created += created.succeeded;
        self.updated += updated.succeeded;
        self.token = self.token.max(created.token).max(updated.token);
        self.refused.extend(created.errors);
        self.refused.extend(updated.errors);
        Ok(())
    }
}
