//! The generic SQL repository: one implementation of [`campushub_core::Repository`] for every
//! [`SqlEntity`] on every [`Backend`].

mod bulk;
mod checks;
mod errors;
mod group_counts;
mod hierarchy;
mod read;
mod session;
mod stats;
mod write;

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::repository::{same_length, BatchMode, BulkWritten, GroupCounts, WriteSession};
use campushub_core::{AuditEntry, ListQuery, ReadOptions, Repository, Result, Written};
use uuid::Uuid;

use crate::backend::Backend;
use crate::sql::{DeferredJoin, TableSql};
use crate::table::SqlEntity;
use crate::transaction_hook::{TransactionHook, TransactionHooks};

pub use group_counts::GroupCountMismatch;

/// The repository of entity `E` on backend `B` (see [`crate::PgRepository`] and
/// [`crate::SqliteRepository`]).
///
/// Statements are generated once from `E`'s [`SqlEntity`] description; values are always
/// bound, never spliced into SQL.
pub struct SqlRepository<E, B> {
    backend: B,
    table: Arc<TableSql<E>>,
    hooks: TransactionHooks,
    deferred_join: DeferredJoin,
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// A repository of `E` on `backend` (migrations must have run, see [`crate::migrate`]).
    pub fn new(backend: B) -> Self {
        let table = Arc::new(TableSql::new(backend.dialect()));
        SqlRepository {
            backend,
            table,
            hooks: TransactionHooks::default(),
            deferred_join: DeferredJoin::default(),
        }
    }

    /// This repository with `hook` run inside each of its write transactions, after the
    /// hooks added before it (see [`TransactionHook`]): its error rolls the write back.
    ///
    /// ```no_run
    /// # fn demo<B: campushub_sqlx::Backend>(
    /// #     repository: campushub_sqlx::SqlRepository<campushub_core::Student, B>,
    /// # ) {
    /// use async_trait::async_trait;
    /// use campushub_core::{ChangeEvent, ChangeOp};
    /// use campushub_sqlx::{HookTx, TransactionHook};
    ///
    /// /// Students are never deleted here: they graduate or withdraw.
    /// struct NoDeletions;
    ///
    /// #[async_trait]
    /// impl TransactionHook for NoDeletions {
    ///     async fn before_commit(
    ///         &self,
    ///         _tx: &mut HookTx<'_>,
    ///         changes: &[ChangeEvent],
    ///     ) -> campushub_core::Result<()> {
    ///         match changes.iter().find(|c| c.op == ChangeOp::Deleted) {
    ///             Some(_) => Err(campushub_core::Error::conflict(
    ///                 "id",
    ///                 "Students are not deleted; set their status instead.",
    ///             )),
    ///             None => Ok(()),
    ///         }
    ///     }
    /// }
    ///
    /// let repository = repository.with_transaction_hook(std::sync::Arc::new(NoDeletions));
    /// # }
    /// ```
    pub fn with_transaction_hook(mut self, hook: Arc<dyn TransactionHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// This repository with page-number pages read through a deferred join as `when` says
    /// (by default [`DeferredJoin::Auto`]: deep pages, deeper on SQLite than on Postgres).
    /// The rows and their order are the same either way; only the statement differs.
    pub fn with_deferred_join(mut self, when: DeferredJoin) -> Self {
        self.deferred_join = when;
        self
    }

    /// The backend this repository runs on.
    pub fn backend(&self) -> &B {
        &self.backend
    }
}

impl<E, B: Clone> Clone for SqlRepository<E, B> {
    fn clone(&self) -> Self {
        SqlRepository {
            backend: self.backend.clone(),
            table: self.table.clone(),
            hooks: self.hooks.clone(),
            deferred_join: self.deferred_join,
        }
    }
}

impl<E, B: std::fmt::Debug> std::fmt::Debug for SqlRepository<E, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlRepository")
            .field("table", &self.table.table)
            .field("backend", &self.backend)
            .field("hooks", &self.hooks)
            .field("deferred_join", &self.deferred_join)
            .finish()
    }
}

#[async_trait]
impl<E: SqlEntity, B: Backend> Repository<E> for SqlRepository<E, B> {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>> {
        Ok(self.get_many(&[id], read).await?.into_iter().next())
    }

    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        self.fetch_by_ids(ids, read).await
    }

    async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>> {
        self.fetch_by_keys(keys, read).await
    }

    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        self.fetch_page(query, read).await
    }

    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        self.fetch_count(query, None, read).await
    }

    async fn count_at_most(
        &self,
        query: &ListQuery,
        at_most: u64,
        read: &ReadOptions,
    ) -> Result<u64> {
        self.fetch_count(query, Some(at_most), read).await
    }

    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.fetch_group_counts(query, fields, read).await
    }

    async fn insert(&self, entity: &E) -> Result<Written> {
        self.insert_one(entity, None).await
    }

    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.update_one(entity, expected_version, None).await
    }

    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.delete_one(id, expected_version, None).await
    }

    async fn insert_many(&self, entities: &[E], mode: BatchMode) -> Result<BulkWritten> {
        self.insert_update_batch(entities, &[], None, mode).await
    }

    async fn update_many(&self, entities: &[(E, i64)], mode: BatchMode) -> Result<BulkWritten> {
        self.insert_update_batch(&[], entities, None, mode).await
    }

    async fn delete_many(&self, rows: &[(Uuid, i64)], mode: BatchMode) -> Result<BulkWritten> {
        self.delete_batch(rows, None, mode).await
    }

    async fn insert_update_many(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.insert_update_batch(inserts, updates, None, mode).await
    }

    async fn insert_update_many_audited(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        same_length(inserts.len() + updates.len(), entries.len())?;
        self.insert_update_batch(inserts, updates, Some(entries), mode)
            .await
    }

    async fn write_session(&self) -> Result<Option<Box<dyn WriteSession<E> + '_>>> {
        self.open_session().await
    }

    async fn insert_audited(&self, entity: &E, entry: &AuditEntry) -> Result<Written> {
        self.insert_one(entity, Some(entry)).await
    }

    async fn update_audited(
        &self,
        entity: &E,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        self.update_one(entity, expected_version, Some(entry)).await
    }

    async fn delete_audited(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        self.delete_one(id, expected_version, Some(entry)).await
    }

    async fn insert_many_audited(
        &self,
        entities: &[E],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        same_length(entities.len(), entries.len())?;
        self.insert_update_batch(entities, &[], Some(entries), mode)
            .await
    }

    async fn update_many_audited(
        &self,
        entities: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        same_length(entities.len(), entries.len())?;
        self.insert_update_batch(&[], entities, Some(entries), mode)
            .await
    }

    async fn delete_many_audited(
        &self,
        rows: &[(Uuid, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        same_length(rows.len(), entries.len())?;
        self.delete_batch(rows, Some(entries), mode).await
    }
}
