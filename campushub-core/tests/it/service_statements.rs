//! Store round trips per service action, counted by a repository wrapper: the N+1 guarantee
//! and "a plain list reads no custom-field definitions" as tests.
#![cfg(feature = "memory")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use campushub_core::cache::Loader;
use campushub_core::memory::MemoryStore;
use campushub_core::query::ListQuery;
use campushub_core::repository::{BulkWritten, GroupCounts};
use campushub_core::BatchMode;
use campushub_core::{
    Cache, CacheKey, CachedValue, ChangeEvent, ConsistencyToken, CustomFieldDef, Entity,
    EntityService, FillTicket, NoCache, ReadOptions, Repository, Result, Student, Written,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::service::{admin, definition_body, student_body, MapCache};

/// A repository that counts calls per method, then delegates.
struct Counting<R> {
    inner: R,
    calls: Mutex<BTreeMap<&'static str, usize>>,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Arc<Self> {
        Arc::new(Counting {
            inner,
            calls: Mutex::default(),
        })
    }

    fn count(&self, method: &'static str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry(method).or_default() += 1;
    }

    /// The calls since the last `take`, as `(method, times)`.
    fn take(&self) -> Vec<(&'static str, usize)> {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *calls).into_iter().collect()
    }
}

#[async_trait]
impl<E: Entity, R: Repository<E>> Repository<E> for Counting<R> {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>> {
        self.count("get");
        self.inner.get(id, read).await
    }
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        self.count("get_many");
        self.inner.get_many(ids, read).await
    }
    async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>> {
        self.count("find_by_natural_keys");
        self.inner.find_by_natural_keys(keys, read).await
    }
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        self.count("list");
        self.inner.list(query, read).await
    }
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        Counting::count(self, "count");
        self.inner.count(query, read).await
    }
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.count("group_counts");
        self.inner.group_counts(query, fields, read).await
    }
    async fn insert(&self, entity: &E) -> Result<Written> {
        self.count("insert");
        self.inner.insert(entity).await
    }
    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.count("update");
        self.inner.update(entity, expected_version).await
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.count("delete");
        self.inner.delete(id, expected_version).await
    }
    async fn insert_many(&self, entities: &[E], mode: BatchMode) -> Result<BulkWritten> {
        self.count("insert_many");
        self.inner.insert_many(entities, mode).await
    }
    async fn update_many(&self, entities: &[(E, i64)], mode: BatchMode) -> Result<BulkWritten> {
        self.count("update_many");
        self.inner.update_many(entities, mode).await
    }
    async fn delete_many(&self, rows: &[(Uuid, i64)], mode: BatchMode) -> Result<BulkWritten> {
        self.count("delete_many");
        self.inner.delete_many(rows, mode).await
    }
}

type Students = Counting<campushub_core::memory::MemoryRepository<Student>>;
type Definitions = Counting<campushub_core::memory::MemoryRepository<CustomFieldDef>>;

fn setup() -> (EntityService<Student>, Arc<Students>, Arc<Definitions>) {
    setup_with(Arc::new(NoCache))
}

/// A student service over counting repositories, with `cache`.
fn setup_with(cache: Arc<dyn Cache>) -> (EntityService<Student>, Arc<Students>, Arc<Definitions>) {
    let store = MemoryStore::new();
    let students = Counting::new(store.repository::<Student>());
    let definitions = Counting::new(store.repository::<CustomFieldDef>());
    let service = EntityService::builder(students.clone())
        .custom_fields(definitions.clone())
        .cache(cache)
        // The counts are of the plain writes (the audited ones are the audit log's tests').
        .without_audit()
        .build();
    (service, students, definitions)
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn single_record_actions() {
    let (service, students, definitions) = setup();
    let saved = service
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("created");
    // The answer is the record read back, as a retrieve would return it.
    assert_eq!(students.take(), [("get", 1), ("insert", 1)]);
    assert_eq!(
        definitions.take(),
        [("list", 1)],
        "definitions read once per write"
    );
    let id = saved.record.meta.id;
    service
        .retrieve(&admin(), id, &ReadOptions::default())
        .await
        .expect("found");
    assert_eq!(students.take(), [("get", 1)]);
    let Value::Object(patch) = json!({"semester": 2}) else {
        unreachable!()
    };
    service
        .partial_update(&admin(), id, patch, None)
        .await
        .expect("patched");
    // The re-read, the write, and the read back (no cache here to share it with).
    assert_eq!(students.take(), [("get", 2), ("update", 1)]);
    service.destroy(&admin(), id, None).await.expect("deleted");
    assert_eq!(students.take(), [("delete", 1), ("get", 1)]);
    assert_eq!(
        definitions.take(),
        [("list", 1)],
        "only the patch read definitions"
    );
}

/// [`NoCache`], except that `offer` runs its loader, as the tiered cache's write-through does.
struct FillingCache;

#[async_trait]
impl Cache for FillingCache {
    async fn get_or_load(
        &self,
        key: &CacheKey,
        need: Option<ConsistencyToken>,
        load: Loader<'_>,
    ) -> Result<Option<CachedValue>> {
        NoCache.get_or_load(key, need, load).await
    }

    async fn invalidate(&self, event: &ChangeEvent) {
        NoCache.invalidate(event).await;
    }

    async fn offer(&self, _key: &CacheKey, load: Loader<'_>) {
        let _ = load(FillTicket::default()).await;
    }
}

#[tokio::test]
async fn an_update_answers_with_the_write_through_read_and_reads_no_more() {
    let (service, students, _) = setup_with(Arc::new(FillingCache));
    let saved = service
        .create_json(&admin(), student_body("R1"))
        .await
        .expect("created");
    students.take();
    let Value::Object(patch) = json!({"semester": 2}) else {
        unreachable!()
    };
    let patched = service
        .partial_update(&admin(), saved.record.meta.id, patch, None)
        .await
        .expect("patched");
    assert_eq!(patched.record.semester, 2);
    // The re-read and the cache's fill; the answer is the fill's record.
    assert_eq!(students.take(), [("get", 2), ("update", 1)]);
}

#[tokio::test]
async fn lists_cost_one_statement_or_two_with_a_count_whatever_the_page_size() {
    let (service, students, definitions) = setup();
    for i in 0..30 {
        service
            .create_json(&admin(), student_body(&format!("R{i}")))
            .await
            .expect("created");
    }
    students.take();
    definitions.take();
    let read = ReadOptions::default();
    for size in ["1", "25", "200"] {
        service
            .list(&admin(), &params(&[("page_size", size)]), &read)
            .await
            .expect("page");
        assert_eq!(students.take(), [("list", 1)], "page size {size}");
        let query = params(&[("page", "1"), ("page_size", size)]);
        service.list(&admin(), &query, &read).await.expect("page");
        assert_eq!(
            students.take(),
            [("count", 1), ("list", 1)],
            "page size {size}"
        );
    }
    assert!(
        definitions.take().is_empty(),
        "a plain list reads no definitions"
    );
}

#[tokio::test]
async fn a_page_number_walk_counts_once_per_filter_until_a_write() {
    let (service, students, _) = setup_with(Arc::new(MapCache::default()));
    for i in 0..30 {
        service
            .create_json(&admin(), student_body(&format!("R{i}")))
            .await
            .expect("created");
    }
    students.take();
    let read = ReadOptions::default();
    let page = |number: &str, size: &str| params(&[("page", number), ("page_size", size)]);

    let first = service.list(&admin(), &page("1", "10"), &read).await;
    assert_eq!(first.expect("page").count, Some(30));
    assert_eq!(students.take(), [("count", 1), ("list", 1)]);
    for (number, size) in [("2", "10"), ("3", "10"), ("1", "7")] {
        let later = service.list(&admin(), &page(number, size), &read).await;
        assert_eq!(later.expect("page").count, Some(30));
        assert_eq!(
            students.take(),
            [("list", 1)],
            "page {number} of {size}: the count is shared"
        );
    }
    let filtered = params(&[("page", "1"), ("year_of_study", "2")]);
    service
        .list(&admin(), &filtered, &read)
        .await
        .expect("page");
    assert_eq!(
        students.take(),
        [("count", 1), ("list", 1)],
        "other filters"
    );

    service
        .create_json(&admin(), student_body("R30"))
        .await
        .expect("created");
    students.take();
    let after = service.list(&admin(), &page("2", "10"), &read).await;
    assert_eq!(
        after.expect("page").count,
        Some(31),
        "a write invalidates it"
    );
    assert_eq!(students.take(), [("count", 1), ("list", 1)]);
}

#[tokio::test]
async fn custom_field_filters_read_the_definitions_once() {
    let store = MemoryStore::new();
    let definitions_repo = Arc::new(store.repository::<CustomFieldDef>());
    let definitions = EntityService::builder(definitions_repo).build();
    definitions
        .create_json(&admin(), definition_body("student", "hostel", "boolean"))
        .await
        .expect("defined");
    let students = Counting::new(store.repository::<Student>());
    let counted_definitions = Counting::new(store.repository::<CustomFieldDef>());
    let service = EntityService::builder(students.clone())
        .custom_fields(counted_definitions.clone())
        .without_audit()
        .build();
    let query = params(&[("cf.hostel", "true")]);
    service
        .list(&admin(), &query, &ReadOptions::default())
        .await
        .expect("page");
    assert_eq!(counted_definitions.take(), [("list", 1)]);
    assert_eq!(students.take(), [("list", 1)]);
    service
        .statistics(&admin(), &[], &ReadOptions::default())
        .await
        .expect("stats");
    assert_eq!(students.take(), [("group_counts", 1)]);
    assert!(counted_definitions.take().is_empty());
}

#[tokio::test]
async fn bulk_calls_make_one_round_trip_per_phase() {
    let (service, students, definitions) = setup();
    let rows: Vec<Value> = (0..50).map(|i| student_body(&format!("B{i}"))).collect();
    let report = service
        .bulk_create(&admin(), rows, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 50);
    assert_eq!(students.take(), [("insert_many", 1)]);
    assert_eq!(definitions.take(), [("list", 1)]);
    let rows: Vec<Value> = (0..50)
        .map(|i| json!({"roll_number": format!("B{i}"), "semester": 2}))
        .collect();
    let report = service
        .bulk_update(&admin(), rows, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 50);
    assert_eq!(
        students.take(),
        [("find_by_natural_keys", 1), ("update_many", 1)]
    );
    let keys: Vec<String> = (0..50).map(|i| format!("B{i}")).collect();
    let report = service
        .bulk_delete(&admin(), keys, BatchMode::EachRow)
        .await
        .expect("report");
    assert_eq!(report.succeeded, 50);
    assert_eq!(
        students.take(),
        [("delete_many", 1), ("find_by_natural_keys", 1)]
    );
}
