//! An export whose store fails after the first page reports the failure: the pages read
//! ahead deliver the error, and the export is never a silently shortened file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::memory::MemoryStore;
use campushub_core::query::ListQuery;
use campushub_core::repository::{GroupCounts, Written};
use campushub_core::service::WALK_PAGE_ROWS;
use campushub_core::{
    Department, Entity, EntityService, Error, Principal, ReadOptions, Repository, Result, Role,
};
use campushub_http::exchange::{write_export, Format};
use uuid::Uuid;

use crate::support::department;

/// A repository whose lists fail once `lists_left` lists have been answered.
struct FailingLists<R> {
    inner: R,
    lists_left: AtomicUsize,
}

#[async_trait]
impl<E: Entity, R: Repository<E>> Repository<E> for FailingLists<R> {
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
        let left = self.lists_left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(Error::unavailable("the store went away", std::fmt::Error));
        }
        self.lists_left.store(left - 1, Ordering::SeqCst);
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
    async fn insert(&self, entity: &E) -> Result<Written> {
        self.inner.insert(entity).await
    }
    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.inner.update(entity, expected_version).await
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.inner.delete(id, expected_version).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_after_the_first_page_fails_the_export() {
    let store = MemoryStore::new();
    let admin = Principal::new("admin", [Role::ADMIN]);
    let writer = EntityService::builder(Arc::new(store.repository::<Department>())).build();
    let rows = 2 * WALK_PAGE_ROWS as usize + 10;
    for n in 0..rows {
        writer
            .create_json(&admin, department(&format!("D{n:05}")))
            .await
            .expect("created");
    }
    for (lists, complete) in [(1, false), (2, false), (3, true)] {
        let failing = FailingLists {
            inner: store.repository::<Department>(),
            lists_left: AtomicUsize::new(lists),
        };
        let service = EntityService::builder(Arc::new(failing)).build();
        let mut out = Vec::new();
        let written = write_export(service, admin.clone(), Vec::new(), Format::Csv, &mut out).await;
        let lines = out
            .split(|byte| *byte == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        if complete {
            assert_eq!(written.expect("every page read"), rows as u64);
            assert_eq!(lines, rows + 1);
        } else {
            let error = written.expect_err("a page failed to read");
            assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
            // What was written before the failure are whole pages, never the whole file.
            assert_eq!(lines, 1 + lists * WALK_PAGE_ROWS as usize);
        }
    }
}
