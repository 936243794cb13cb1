//! The fast path and write-through: `get_fresh` answers L1 hits without a loader, and a write
//! through the service leaves the new version cached in both tiers.

use std::sync::Arc;

use campushub_cache::TieredCache;
use campushub_core::memory::MemoryStore;
use campushub_core::{Cache, Department, Entity, EntityService, Principal, ReadOptions, Role};
use serde_json::json;
use uuid::Uuid;

use crate::support::{config, connect, counting, namespace, record, value};

fn admin() -> Principal {
    Principal::new("tester", [Role::ADMIN])
}

fn departments(cache: &TieredCache) -> EntityService<Department> {
    EntityService::builder(Arc::new(MemoryStore::new().repository::<Department>()))
        .cache(Arc::new(cache.clone()))
        .build()
}

#[tokio::test]
async fn get_fresh_answers_l1_hits_only_and_counts_them() {
    let cache = TieredCache::l1_only(config(&namespace())).expect("config");
    let kind = campushub_core::EntityKind::DEPARTMENT;
    let (present, missing) = (record(kind, Uuid::new_v4()), record(kind, Uuid::new_v4()));
    assert!(
        cache.get_fresh(&present, None).is_none(),
        "nothing cached yet"
    );
    let calls = Arc::default();
    cache
        .get_or_load(&present, None, counting(&calls, Some(value(3))))
        .await
        .expect("fill");
    cache
        .get_or_load(&missing, None, counting(&calls, None))
        .await
        .expect("negative fill");
    let hits = cache.metrics().l1_hits;
    assert_eq!(cache.get_fresh(&present, None).map(|v| v.version), Some(3));
    assert!(
        cache.get_fresh(&missing, None).is_none(),
        "a cached \"not found\" is left to get_or_load"
    );
    assert_eq!(cache.metrics().l1_hits, hits + 1);
}

/// After an update, the next retrieve is an L1 hit with the new version (no load).
async fn updates_are_written_through(cache: TieredCache) {
    let service = departments(&cache);
    let admin = admin();
    let created = service
        .create_json(&admin, json!({"code": "PHY", "name": "Physics"}))
        .await
        .expect("create");
    let id = created.record.meta().id;
    let mut patch = serde_json::Map::new();
    patch.insert("name".into(), json!("Physics!"));
    service
        .partial_update(&admin, id, patch, None)
        .await
        .expect("update");
    let before = cache.metrics();
    let fetched = service
        .retrieve(&admin, id, &ReadOptions::default())
        .await
        .expect("retrieve");
    let after = cache.metrics();
    assert_eq!(fetched.version(), 2);
    assert_eq!(fetched.value().expect("decodes").name, "Physics!");
    assert_eq!(after.l1_hits, before.l1_hits + 1, "served from L1");
    assert_eq!(after.loads, before.loads, "no load after the write");
}

#[tokio::test]
async fn an_update_is_written_through_to_l1() {
    updates_are_written_through(TieredCache::l1_only(config(&namespace())).expect("config")).await;
}

#[tokio::test]
async fn an_update_is_written_through_to_redis_and_l1() {
    let cache = connect(&namespace()).await;
    updates_are_written_through(cache.clone()).await;
    assert_eq!(cache.metrics().fills, 1, "the update filled Redis");
}
