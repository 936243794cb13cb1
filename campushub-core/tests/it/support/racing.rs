//! A student repository with a rival writer: before (or after) the service's update or
//! delete reaches the store, the rival commits an update of its own to the same record, as a
//! concurrent request would between the service's re-read and its write.
#![cfg(feature = "memory")]

use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use campushub_core::memory::MemoryRepository;
use campushub_core::repository::GroupCounts;
use campushub_core::{ListQuery, ReadOptions, ReadRoute, Repository, Result, Student, Written};
use uuid::Uuid;

/// The memory repository `inner`, with a rival that writes `before` times just before one of
/// the service's writes and `after` times just after one.
pub struct Racing {
    inner: MemoryRepository<Student>,
    before: AtomicU32,
    after: AtomicU32,
}

impl Racing {
    /// `inner` with rivals still to write: `before` writes before, `after` after.
    pub fn new(inner: MemoryRepository<Student>, before: u32, after: u32) -> Self {
        Racing {
            inner,
            before: AtomicU32::new(before),
            after: AtomicU32::new(after),
        }
    }

    /// Rival writes still to come before the service's writes.
    pub fn rivals_left(&self) -> u32 {
        self.before.load(Ordering::SeqCst)
    }

    /// One rival update of record `id` if `budget` allows: its `program` becomes
    /// `Rival <version>`.
    async fn rival(&self, id: Uuid, budget: &AtomicU32) {
        let take = |left: u32| left.checked_sub(1);
        if budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, take)
            .is_err()
        {
            return;
        }
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let Ok(Some(mut rival)) = self.inner.get(id, &primary).await else {
            return;
        };
        let expected = rival.meta.version;
        rival.meta = rival.meta.next();
        rival.program = format!("Rival {}", rival.meta.version);
        self.inner
            .update(&rival, expected)
            .await
            .expect("the rival's write");
    }
}

#[async_trait]
impl Repository<Student> for Racing {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<Student>> {
        self.inner.get(id, read).await
    }
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<Student>> {
        self.inner.get_many(ids, read).await
    }
    async fn find_by_natural_keys(
        &self,
        keys: &[String],
        read: &ReadOptions,
    ) -> Result<Vec<Student>> {
        self.inner.find_by_natural_keys(keys, read).await
    }
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<Student>> {
        self.inner.list(query, read).await
    }
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        self.inner.count(query, read).await
    }
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.inner.group_counts(query, fields, read).await
    }
    async fn insert(&self, entity: &Student) -> Result<Written> {
        self.inner.insert(entity).await
    }
    async fn update(&self, entity: &Student, expected_version: i64) -> Result<Written> {
        self.rival(entity.meta.id, &self.before).await;
        let written = self.inner.update(entity, expected_version).await;
        if written.is_ok() {
            self.rival(entity.meta.id, &self.after).await;
        }
        written
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.rival(id, &self.before).await;
        self.inner.delete(id, expected_version).await
    }
}
