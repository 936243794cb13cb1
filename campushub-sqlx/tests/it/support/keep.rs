//! A repository that keeps something alive (a test database) as long as it lives.

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::repository::{BatchMode, BulkWritten, GroupCounts};
use campushub_core::AuditEntry;
use campushub_core::{Entity, ListQuery, ReadOptions, Repository, Result, Written};
use uuid::Uuid;

/// `inner`, holding `guard` until dropped.
pub struct Keep<E, G> {
    inner: Arc<dyn Repository<E>>,
    _guard: Arc<G>,
}

impl<E, G> Keep<E, G> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Repository<E>>, guard: Arc<G>) -> Self {
        Keep {
            inner,
            _guard: guard,
        }
    }
}

#[async_trait]
impl<E: Entity, G: Send + Sync> Repository<E> for Keep<E, G> {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>> {
        self.inner.get(id, read).await
    }
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        self.inner.get_many(ids, read).await
    }
    async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>> {
        self.inner.find_by_natural_keys(keys, read).await
    }
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        self.inner.list(query, read).await
    }
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        self.inner.count(query, read).await
    }
    async fn count_at_most(
        &self,
        query: &ListQuery,
        at_most: u64,
        read: &ReadOptions,
    ) -> Result<u64> {
        self.inner.count_at_most(query, at_most, read).await
    }
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.inner.group_counts(query, fields, read).await
    }
    async fn insert(&self, entity: &E) -> Result<Written> {
        self.inner.insert(entity).await
    }
    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.inner.update(entity, expected_version).await
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.inner.delete(id, expected_version).await
    }
    async fn insert_audited(&self, entity: &E, entry: &AuditEntry) -> Result<Written> {
        self.inner.insert_audited(entity, entry).await
    }
    async fn update_audited(
        &self,
        entity: &E,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        self.inner
            .update_audited(entity, expected_version, entry)
            .await
    }
    async fn delete_audited(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        self.inner.delete_audited(id, expected_version, entry).await
    }
    async fn insert_many_audited(
        &self,
        entities: &[E],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.inner
            .insert_many_audited(entities, entries, mode)
            .await
    }
    async fn update_many_audited(
        &self,
        entities: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.inner
            .update_many_audited(entities, entries, mode)
            .await
    }
    async fn delete_many_audited(
        &self,
        rows: &[(Uuid, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.inner.delete_many_audited(rows, entries, mode).await
    }
    async fn insert_update_many(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.inner.insert_update_many(inserts, updates, mode).await
    }
    async fn insert_update_many_audited(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.inner
            .insert_update_many_audited(inserts, updates, entries, mode)
            .await
    }
}
