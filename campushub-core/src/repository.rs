//! Storage-agnostic repository traits: what a store must do for one entity kind.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::audit_log::AuditEntry;
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::Result;
use crate::query::ListQuery;
use crate::value::Scalar;

/// Where and how fresh a read must be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Read-your-writes: the read must see every write up to this token. A replica that has
    /// not replayed that far is skipped in favour of one that has, or the primary.
    pub min_token: Option<ConsistencyToken>,
    /// Which class of connection serves the read.
    pub route: ReadRoute,
}

impl ReadOptions {
    /// A read that must observe `token` (if any).
    pub fn after(token: Option<ConsistencyToken>) -> Self {
        ReadOptions {
            min_token: token,
            route: ReadRoute::Replica,
        }
    }

    /// The same read, on `route`.
    pub fn on(mut self, route: ReadRoute) -> Self {
        self.route = route;
        self
    }

    /// The same read, requiring at least `token` as well.
    pub fn at_least(mut self, token: Option<ConsistencyToken>) -> Self {
        self.min_token = self.min_token.max(token);
        self
    }
}

/// The class of connection a read goes to. Stores without replicas serve all of them from
/// their one database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ReadRoute {
    /// Ordinary reads: a healthy replica (round-robin), else the primary.
    #[default]
    Replica,
    /// Reads that must be current, such as the re-read before a write: the primary.
    Primary,
    /// Aggregations: the analytics database when it is in rotation and, for a read with a
    /// token, a standby of the primary that has replayed that far; else as `Replica`.
    Analytics,
}

/// What a committed write reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// The commit's position, for read-your-writes (stores without one leave it out).
    pub token: Option<ConsistencyToken>,
}

/// How a batch write treats rows that fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum BatchMode {
    /// One transaction: every row is written or none is. A row that fails rolls the batch
    /// back; the outcome names every row that failed and why.
    #[default]
    AllOrNothing,
    /// Each row stands alone: a row that fails is reported and the others are written.
    EachRow,
}

/// The outcome of a batch write: one result per input row, in input order, and the token of
/// the batch's commit.
///
/// Rows that failed changed nothing. The others were committed, unless the batch was
/// [`BatchMode::AllOrNothing`] and a row failed: then [`BulkWritten::rolled_back`] is set,
/// nothing was written, and an `Ok` row is one that would have been.
///
/// A failure of the database or of the connection to it is not a row's outcome: the batch
/// method returns it as its error, and nothing of the batch was written.
#[derive(Debug, Default)]
pub struct BulkWritten {
    /// Per-row outcome.
    pub rows: Vec<Result<()>>,
    /// The commit's position, when anything was written.
    pub token: Option<ConsistencyToken>,
    /// Nothing was written: an all-or-nothing batch in which a row failed.
    pub rolled_back: bool,
}

/// A write that stays open across batches: one all-or-nothing transaction into which an
/// import writes its rows a batch at a time (see [`Repository::write_session`]), so that a
/// file of any size is written whole or not at all while only one batch is held in memory.
///
/// A batch whose rows the store refuses rolls the whole session back at once: its
/// [`BulkWritten`] names the failed rows and has `rolled_back` set, and the session writes
/// nothing more (later batches answer `rolled_back` with every row `Ok`, "would have been").
/// Dropped unfinished, the session is rolled back.
#[async_trait]
pub trait WriteSession<E: Entity>: Send {
    /// Writes `inserts` and `updates` (each with its expected version) in the session's
    /// transaction, with their audit entries when given (the inserts', then the updates'),
    /// as [`Repository::insert_update_many_audited`] does for one batch. Outcomes: the
    /// inserts', then the updates', in input order.
    ///
    /// # Errors
    /// A failure of the database or the connection (the session is rolled back); a veto of
    /// a transaction hook.
    async fn write(
        &mut self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: Option<&[AuditEntry]>,
    ) -> Result<BulkWritten>;

    /// Commits every batch written; the commit's token (none when nothing was written or the
    /// session was rolled back).
    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>>;

    /// Rolls back every batch written (nothing when the session was rolled back already).
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// Counts of matching rows, in total and grouped by each of several fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupCounts {
    /// Matching rows.
    pub total: u64,
    /// For each requested field, in request order: see [`GroupValues`].
    pub groups: Vec<(&'static str, GroupValues)>,
}

/// One field's groups: `(value, count)` pairs, largest count first, equal counts by value with
/// the null group (`None`) last.
pub type GroupValues = Vec<(Option<Scalar>, u64)>;

/// Storage for one entity kind.
///
/// Semantics every implementation shares (the conformance suite in
/// `campushub_core::conformance` states them as tests):
/// - `insert`, `update`, `delete` are atomic; a unique clash is [`crate::Error::Conflict`]
///   naming the field; a reference to a missing record is a validation error on the
///   referencing field; deleting a referenced record is a conflict.
/// - `update` and `delete` succeed only when the stored version equals `expected_version`,
///   else [`crate::Error::PreconditionFailed`]; a missing id is [`crate::Error::NotFound`].
/// - `list` returns at most [`ListQuery::limit`] rows matching the query, after its keyset
///   position (or its offset), in walk order (reversed for a backwards cursor), each with the
///   summaries its [`crate::Schema::relations`] embed attached, in a bounded number of round trips whatever the page size.
#[async_trait]
pub trait Repository<E: Entity>: Send + Sync {
    /// One record by id.
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>>;

    /// The records among `ids` that exist, in one round trip (order unspecified).
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>>;

    /// The records whose natural key is among `keys`, in one round trip (order unspecified).
    async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>>;

    /// One page of rows (see the trait docs for the contract).
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>>;

    /// The number of rows matching the query's filters and search (pagination ignored).
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64>;

    /// The number of rows matching the query's filters and search, counted no further than
    /// `at_most`: `min(count, at_most)`.
    ///
    /// A bounded count costs at most `at_most` rows whatever the table's size, which is what
    /// page-number pages use when the service has a count cap
    /// ([`EntityServiceBuilder::count_cap`](crate::service::EntityServiceBuilder::count_cap)).
    /// The default counts everything and clamps; the SQL stores override it to stop reading
    /// at the bound.
    async fn count_at_most(
        &self,
        query: &ListQuery,
        at_most: u64,
        read: &ReadOptions,
    ) -> Result<u64> {
        Ok(self.count(query, read).await?.min(at_most))
    }

    /// Counts of rows matching the query's filters and search, grouped by each of `fields`.
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts>;

    /// Stores a new record.
    async fn insert(&self, entity: &E) -> Result<Written>;

    /// Replaces the stored record with `entity` (whose version is already the new one) if the
    /// stored version is `expected_version`.
    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written>;

    /// Removes the record if its stored version is `expected_version`.
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written>;

    /// One record by natural key.
    async fn find_by_natural_key(&self, key: &str, read: &ReadOptions) -> Result<Option<E>> {
        let keys = [key.to_owned()];
        Ok(self
            .find_by_natural_keys(&keys, read)
            .await?
            .into_iter()
            .next())
    }

    /// Inserts many records, in one transaction or row by row as `mode` says (see
    /// [`BulkWritten`]).
    ///
    /// The default writes row by row and supports [`BatchMode::EachRow`] only: a store
    /// without transactions cannot promise all or nothing, and refuses such a batch with
    /// [`crate::Error::Internal`] before writing anything. The memory and SQL stores
    /// override all three batch methods.
    async fn insert_many(&self, entities: &[E], mode: BatchMode) -> Result<BulkWritten> {
        row_by_row(mode)?;
        let mut batch = BulkWritten::default();
        for entity in entities {
            let outcome = self.insert(entity).await;
            batch.record(outcome);
        }
        Ok(batch)
    }

    /// Updates many records, each with its expected version (see [`Repository::insert_many`]).
    async fn update_many(&self, entities: &[(E, i64)], mode: BatchMode) -> Result<BulkWritten> {
        row_by_row(mode)?;
        let mut batch = BulkWritten::default();
        for (entity, expected_version) in entities {
            let outcome = self.update(entity, *expected_version).await;
            batch.record(outcome);
        }
        Ok(batch)
    }

    /// Deletes many records, each with its expected version (see [`Repository::insert_many`]).
    async fn delete_many(&self, rows: &[(Uuid, i64)], mode: BatchMode) -> Result<BulkWritten> {
        row_by_row(mode)?;
        let mut batch = BulkWritten::default();
        for (id, expected_version) in rows {
            let outcome = self.delete(*id, *expected_version).await;
            batch.record(outcome);
        }
        Ok(batch)
    }

    /// Inserts `inserts` and updates `updates` (each with its expected version) as one batch:
    /// all or nothing in one transaction, or row by row, as `mode` says (see
    /// [`BulkWritten`]). Outcomes are reported inserts first, then updates, in input order.
    ///
    /// An import writes through it, so that a file whose rows create some records and change
    /// others is still written whole or not at all. The default writes the inserts, then the
    /// updates, with [`Repository::insert_many`] and [`Repository::update_many`] (only the
    /// one a batch of one kind of row needs); it refuses an all-or-nothing batch holding both
    /// (two calls are two transactions). The memory and
    /// SQL stores override it.
    async fn insert_update_many(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        if updates.is_empty() {
            return self.insert_many(inserts, mode).await;
        }
        if inserts.is_empty() {
            return self.update_many(updates, mode).await;
        }
        row_by_row(mode)?;
        let inserted = self.insert_many(inserts, mode).await?;
        let updated = self.update_many(updates, mode).await?;
        Ok(inserted.followed_by(updated))
    }

    /// [`Repository::insert_update_many`] with one audit entry per row (`entries`: the
    /// inserts' then the updates', see [`Repository::insert_many_audited`]).
    async fn insert_update_many_audited(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        same_length(inserts.len() + updates.len(), entries.len())?;
        if updates.is_empty() {
            return self.insert_many_audited(inserts, entries, mode).await;
        }
        if inserts.is_empty() {
            return self.update_many_audited(updates, entries, mode).await;
        }
        row_by_row(mode)?;
        let (first, second) = entries.split_at(inserts.len());
        let inserted = self.insert_many_audited(inserts, first, mode).await?;
        let updated = self.update_many_audited(updates, second, mode).await?;
        Ok(inserted.followed_by(updated))
    }

    /// A [`WriteSession`]: one all-or-nothing transaction that takes batches one at a time,
    /// or `None` when the store cannot hold one open while the caller reads between batches
    /// (the default, and a SQL store on a single connection). Without one, an all-or-nothing
    /// import holds every checked row and writes them in one
    /// [`Repository::insert_update_many_audited`] at the end.
    async fn write_session(&self) -> Result<Option<Box<dyn WriteSession<E> + '_>>> {
        Ok(None)
    }

    /// [`Repository::insert`], writing `entry` to the audit log in the same transaction: the
    /// entry is stored if and only if the record is.
    ///
    /// The default refuses with [`crate::Error::Internal`], writing nothing: a store that
    /// keeps no audit log must not let audited writes through unrecorded. Build the service
    /// without auditing ([`EntityServiceBuilder::without_audit`](crate::service::EntityServiceBuilder::without_audit))
    /// over such a store.
    async fn insert_audited(&self, entity: &E, entry: &AuditEntry) -> Result<Written> {
        let _ = (entity, entry);
        Err(no_audit_log())
    }

    /// [`Repository::update`] with its audit entry (see [`Repository::insert_audited`]).
    async fn update_audited(
        &self,
        entity: &E,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        let _ = (entity, expected_version, entry);
        Err(no_audit_log())
    }

    /// [`Repository::delete`] with its audit entry (see [`Repository::insert_audited`]).
    async fn delete_audited(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        let _ = (id, expected_version, entry);
        Err(no_audit_log())
    }

    /// [`Repository::insert_many`] with one audit entry per row (`entries[i]` for row `i`):
    /// the entry of each committed row is stored with it, those of failed or rolled-back rows
    /// are not. The default writes row by row with [`Repository::insert_audited`].
    async fn insert_many_audited(
        &self,
        entities: &[E],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        row_by_row(mode)?;
        same_length(entities.len(), entries.len())?;
        let mut batch = BulkWritten::default();
        for (entity, entry) in entities.iter().zip(entries) {
            let outcome = self.insert_audited(entity, entry).await;
            batch.record(outcome);
        }
        Ok(batch)
    }

    /// [`Repository::update_many`] with one audit entry per row (see
    /// [`Repository::insert_many_audited`]).
    async fn update_many_audited(
        &self,
        entities: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        row_by_row(mode)?;
        same_length(entities.len(), entries.len())?;
        let mut batch = BulkWritten::default();
        for ((entity, expected_version), entry) in entities.iter().zip(entries) {
            let outcome = self.update_audited(entity, *expected_version, entry).await;
            batch.record(outcome);
        }
        Ok(batch)
    }

    /// [`Repository::delete_many`] with one audit entry per row (see
    /// [`Repository::insert_many_audited`]).
    async fn delete_many_audited(
        &self,
        rows: &[(Uuid, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        row_by_row(mode)?;
        same_length(rows.len(), entries.len())?;
        let mut batch = BulkWritten::default();
        for ((id, expected_version), entry) in rows.iter().zip(entries) {
            let outcome = self.delete_audited(*id, *expected_version, entry).await;
            batch.record(outcome);
        }
        Ok(batch)
    }
}

/// What the default audited writes answer: the store keeps no audit log.
fn no_audit_log() -> crate::Error {
    crate::Error::Internal {
        message: "this store keeps no audit log (it does not override the audited write \
                  methods); build the service without auditing to write to it"
            .to_owned(),
        source: None,
    }
}

/// Refuses a batch whose audit entries do not match its rows one for one.
pub fn same_length(rows: usize, entries: usize) -> Result<()> {
    if rows == entries {
        Ok(())
    } else {
        Err(crate::Error::Internal {
            message: format!("a batch of {rows} rows came with {entries} audit entries"),
            source: None,
        })
    }
}

/// The default batch methods write row by row: they refuse an all-or-nothing batch.
fn row_by_row(mode: BatchMode) -> Result<()> {
    match mode {
        BatchMode::EachRow => Ok(()),
        BatchMode::AllOrNothing => Err(crate::Error::Internal {
            message: "this store cannot write a batch all or nothing (it does not override \
                      the batch methods)"
                .to_owned(),
            source: None,
        }),
    }
}

impl BulkWritten {
    /// This batch's outcomes followed by `next`'s, with the later commit's token.
    pub fn followed_by(mut self, next: BulkWritten) -> Self {
        self.rows.extend(next.rows);
        self.token = self.token.max(next.token);
        self.rolled_back |= next.rolled_back;
        self
    }

    /// Splits the outcomes at row `at`: the first part's rows and the rest's, each with the
    /// batch's token and rolled-back flag.
    pub fn split_at(self, at: usize) -> (Self, Self) {
        let mut rows = self.rows;
        let rest = rows.split_off(at.min(rows.len()));
        let part = |rows| BulkWritten {
            rows,
            token: self.token,
            rolled_back: self.rolled_back,
        };
        (part(rows), part(rest))
    }

    /// Appends one row's outcome, keeping the latest commit token.
    pub fn record(&mut self, outcome: Result<Written>) {
        match outcome {
            Ok(written) => {
                self.token = self.token.max(written.token);
                self.rows.push(Ok(()));
            }
            Err(error) => self.rows.push(Err(error)),
        }
    }
}

macro_rules! forward_repository {
    ($($pointer:ty),+) => {$(
        #[async_trait]
        impl<E: Entity, R: Repository<E> + ?Sized> Repository<E> for $pointer {
            async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>> {
                (**self).get(id, read).await
            }
            async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
                (**self).get_many(ids, read).await
            }
            async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>> {
                (**self).find_by_natural_keys(keys, read).await
            }
            async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
                (**self).list(query, read).await
            }
            async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
                (**self).count(query, read).await
            }
            async fn count_at_most(
                &self,
                query: &ListQuery,
                at_most: u64,
                read: &ReadOptions,
            ) -> Result<u64> {
                (**self).count_at_most(query, at_most, read).await
            }
            async fn group_counts(
                &self,
                query: &ListQuery,
                fields: &[&'static str],
                read: &ReadOptions,
            ) -> Result<GroupCounts> {
                (**self).group_counts(query, fields, read).await
            }
            async fn insert(&self, entity: &E) -> Result<Written> {
                (**self).insert(entity).await
            }
            async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
                (**self).update(entity, expected_version).await
            }
            async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
                (**self).delete(id, expected_version).await
            }
            async fn find_by_natural_key(&self, key: &str, read: &ReadOptions) -> Result<Option<E>> {
                (**self).find_by_natural_key(key, read).await
            }
            async fn insert_many(&self, entities: &[E], mode: BatchMode) -> Result<BulkWritten> {
                (**self).insert_many(entities, mode).await
            }
            async fn update_many(
                &self,
                entities: &[(E, i64)],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self).update_many(entities, mode).await
            }
            async fn delete_many(&self, rows: &[(Uuid, i64)], mode: BatchMode) -> Result<BulkWritten> {
                (**self).delete_many(rows, mode).await
            }
            async fn insert_update_many(
                &self,
                inserts: &[E],
                updates: &[(E, i64)],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self).insert_update_many(inserts, updates, mode).await
            }
            async fn insert_update_many_audited(
                &self,
                inserts: &[E],
                updates: &[(E, i64)],
                entries: &[AuditEntry],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self)
                    .insert_update_many_audited(inserts, updates, entries, mode)
                    .await
            }
            async fn write_session(&self) -> Result<Option<Box<dyn WriteSession<E> + '_>>> {
                (**self).write_session().await
            }
            async fn insert_audited(&self, entity: &E, entry: &AuditEntry) -> Result<Written> {
                (**self).insert_audited(entity, entry).await
            }
            async fn update_audited(
                &self,
                entity: &E,
                expected_version: i64,
                entry: &AuditEntry,
            ) -> Result<Written> {
                (**self).update_audited(entity, expected_version, entry).await
            }
            async fn delete_audited(
                &self,
                id: Uuid,
                expected_version: i64,
                entry: &AuditEntry,
            ) -> Result<Written> {
                (**self).delete_audited(id, expected_version, entry).await
            }
            async fn insert_many_audited(
                &self,
                entities: &[E],
                entries: &[AuditEntry],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self).insert_many_audited(entities, entries, mode).await
            }
            async fn update_many_audited(
                &self,
                entities: &[(E, i64)],
                entries: &[AuditEntry],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self).update_many_audited(entities, entries, mode).await
            }
            async fn delete_many_audited(
                &self,
                rows: &[(Uuid, i64)],
                entries: &[AuditEntry],
                mode: BatchMode,
            ) -> Result<BulkWritten> {
                (**self).delete_many_audited(rows, entries, mode).await
            }
        }
    )+};
}

forward_repository!(Arc<R>, Box<R>, &R);
