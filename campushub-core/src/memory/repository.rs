//! [`MemoryRepository`]: the [`Repository`] of one kind in a [`MemoryStore`].

use std::collections::HashSet;
use std::marker::PhantomData;

use async_trait::async_trait;
use uuid::Uuid;

use super::batch::Change;
use super::MemoryStore;
use crate::audit_log::AuditEntry;
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::Result;
use crate::query::ListQuery;
use crate::repository::{BatchMode, BulkWritten, GroupCounts, ReadOptions, Repository, Written};

/// The repository of kind `E` in a [`MemoryStore`]. Reads return clones with the summaries
/// of [`crate::Schema::relations`] attached; writes commit at once and report the store's commit counter as their
/// token. Read options are accepted and ignored: there is one copy of the data.
pub struct MemoryRepository<E> {
    store: MemoryStore,
    kind: PhantomData<fn() -> E>,
}

impl<E: Entity> MemoryRepository<E> {
    /// The repository of `E` in `store`.
    pub fn new(store: MemoryStore) -> Self {
        MemoryRepository {
            store,
            kind: PhantomData,
        }
    }

    /// The store this repository writes to.
    pub fn store(&self) -> &MemoryStore {
        &self.store
    }
}

impl<E> Clone for MemoryRepository<E> {
    fn clone(&self) -> Self {
        MemoryRepository {
            store: self.store.clone(),
            kind: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for MemoryRepository<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRepository")
            .field("store", &self.store)
            .finish()
    }
}

fn written(position: u64) -> Written {
    Written {
        token: Some(ConsistencyToken::from_position(position)),
    }
}

#[async_trait]
impl<E: Entity> Repository<E> for MemoryRepository<E> {
    async fn get(&self, id: Uuid, _read: &ReadOptions) -> Result<Option<E>> {
        let state = self.store.read();
        Ok(state
            .table::<E>()?
            .and_then(|(_, rows)| rows.get(&id))
            .map(|row| state.attach(row)))
    }

    async fn get_many(&self, ids: &[Uuid], _read: &ReadOptions) -> Result<Vec<E>> {
        let state = self.store.read();
        let Some((_, rows)) = state.table::<E>()? else {
            return Ok(Vec::new());
        };
        let ids: HashSet<&Uuid> = ids.iter().collect();
        Ok(ids
            .into_iter()
            .filter_map(|id| rows.get(id))
            .map(|row| state.attach(row))
            .collect())
    }

    async fn find_by_natural_keys(&self, keys: &[String], _read: &ReadOptions) -> Result<Vec<E>> {
        let state = self.store.read();
        let Some((_, rows)) = state.table::<E>()? else {
            return Ok(Vec::new());
        };
        let keys: HashSet<&str> = keys.iter().map(String::as_str).collect();
        Ok(rows
            .values()
            .filter(|row| {
                row.natural_key()
                    .is_some_and(|key| keys.contains(key.as_str()))
            })
            .map(|row| state.attach(row))
            .collect())
    }

    async fn list(&self, query: &ListQuery, _read: &ReadOptions) -> Result<Vec<E>> {
        self.store.read().list(query)
    }

    async fn count(&self, query: &ListQuery, _read: &ReadOptions) -> Result<u64> {
        self.store.read().count::<E>(query, u64::MAX)
    }

    async fn count_at_most(
        &self,
        query: &ListQuery,
        at_most: u64,
        _read: &ReadOptions,
    ) -> Result<u64> {
        self.store.read().count::<E>(query, at_most)
    }

    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        _read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.store.read().group_counts::<E>(query, fields)
    }

    async fn insert(&self, entity: &E) -> Result<Written> {
        self.store.write().insert(entity).map(written)
    }

    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.store
            .write()
            .update(entity, expected_version)
            .map(written)
    }

    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.store
            .write()
            .delete::<E>(id, expected_version)
            .map(written)
    }

    async fn insert_many(&self, entities: &[E], mode: BatchMode) -> Result<BulkWritten> {
        let changes = entities.iter().map(Change::Insert).collect();
        self.store.write().apply_batch(changes, None, mode)
    }

    async fn update_many(&self, entities: &[(E, i64)], mode: BatchMode) -> Result<BulkWritten> {
        let changes = entities
            .iter()
            .map(|(entity, expected)| Change::Update(entity, *expected))
            .collect();
        self.store.write().apply_batch(changes, None, mode)
    }

    async fn delete_many(&self, rows: &[(Uuid, i64)], mode: BatchMode) -> Result<BulkWritten> {
        let changes = rows
            .iter()
            .map(|(id, expected)| Change::<E>::Delete(*id, *expected))
            .collect();
        self.store.write().apply_batch(changes, None, mode)
    }

    async fn insert_update_many(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let changes = inserts_then_updates(inserts, updates);
        self.store.write().apply_batch(changes, None, mode)
    }

    async fn insert_update_many_audited(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let changes = inserts_then_updates(inserts, updates);
        self.store.write().apply_batch(changes, Some(entries), mode)
    }

    async fn insert_audited(&self, entity: &E, entry: &AuditEntry) -> Result<Written> {
        let mut state = self.store.write();
        let position = state.insert(entity)?;
        state.audit.push(entry.clone());
        Ok(written(position))
    }

    async fn update_audited(
        &self,
        entity: &E,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        let mut state = self.store.write();
        let position = state.update(entity, expected_version)?;
        state.audit.push(entry.clone());
        Ok(written(position))
    }

    async fn delete_audited(
        &self,
        id: Uuid,
        expected_version: i64,
        entry: &AuditEntry,
    ) -> Result<Written> {
        let mut state = self.store.write();
        let position = state.delete::<E>(id, expected_version)?;
        state.audit.push(entry.clone());
        Ok(written(position))
    }

    async fn insert_many_audited(
        &self,
        entities: &[E],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let changes = entities.iter().map(Change::Insert).collect();
        self.store.write().apply_batch(changes, Some(entries), mode)
    }

    async fn update_many_audited(
        &self,
        entities: &[(E, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let changes = entities
            .iter()
            .map(|(entity, expected)| Change::Update(entity, *expected))
            .collect();
        self.store.write().apply_batch(changes, Some(entries), mode)
    }

    async fn delete_many_audited(
        &self,
        rows: &[(Uuid, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let changes = rows
            .iter()
            .map(|(id, expected)| Change::<E>::Delete(*id, *expected))
            .collect();
        self.store.write().apply_batch(changes, Some(entries), mode)
    }
}

/// The changes of a batch of inserts and updates, in that order.
fn inserts_then_updates<'a, E>(inserts: &'a [E], updates: &'a [(E, i64)]) -> Vec<Change<'a, E>> {
    let inserts = inserts.iter().map(Change::Insert);
    let updates = updates
        .iter()
        .map(|(entity, expected)| Change::Update(entity, *expected));
    inserts.chain(updates).collect()
}
