//! L1 on its own: hits, the byte bound, negative entries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::{Cache, CacheKey, CachedValue, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{counting, event, never, record, value};

#[tokio::test]
async fn a_second_read_is_an_l1_hit_with_the_decoded_value() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let key = record(EntityKind::DEPARTMENT, Uuid::new_v4());
    let calls = Arc::new(AtomicUsize::new(0));
    let loaded = value(1).with_decoded(Arc::new(String::from("decoded")));
    cache
        .get_or_load(&key, None, counting(&calls, Some(loaded)))
        .await
        .expect("load");
    let hit = cache
        .get_or_load(&key, None, never())
        .await
        .expect("hit")
        .expect("found");
    assert_eq!(
        hit.decoded::<String>().as_deref().map(String::as_str),
        Some("decoded")
    );
    let metrics = cache.metrics();
    assert_eq!(
        (metrics.l1_hits, metrics.l1_misses, metrics.loads),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn the_byte_bound_holds_under_many_large_values() {
    let bound = 1024 * 1024;
    let cache = TieredCache::l1_only(CacheConfig {
        l1_max_bytes: bound,
        ..CacheConfig::default()
    })
    .expect("config");
    let calls = Arc::new(AtomicUsize::new(0));
    let big = Bytes::from(vec![b'x'; 16 * 1024]);
    for i in 0..1000 {
        let key = CacheKey::List {
            kind: EntityKind::STUDENT,
            query: format!("page={i}"),
        };
        let loaded = CachedValue::from_json(big.clone(), 0);
        cache
            .get_or_load(&key, None, counting(&calls, Some(loaded)))
            .await
            .expect("load");
    }
    cache.run_pending_tasks().await;
    assert!(
        cache.l1_weighted_size() <= bound,
        "L1 holds {} bytes, bound {bound}",
        cache.l1_weighted_size()
    );
    assert!(
        cache.metrics().l1_evictions > 0,
        "entries were evicted for space"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1000);
}

#[tokio::test]
async fn negative_entries_are_cached_and_cleared_by_a_create() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let id = Uuid::new_v4();
    let key = record(EntityKind::STUDENT, id);
    let calls = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let got = cache
            .get_or_load(&key, None, counting(&calls, None))
            .await
            .expect("lookup");
        assert!(got.is_none());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    cache
        .invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Created, 1, 0))
        .await;
    let created = cache
        .get_or_load(&key, None, counting(&calls, Some(value(1))))
        .await
        .expect("lookup");
    assert_eq!(created.map(|v| v.version), Some(1));
}

#[tokio::test]
async fn a_write_makes_list_entries_of_embedding_kinds_stale() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let list = CacheKey::List {
        kind: EntityKind::FACULTY,
        query: "q".to_owned(),
    };
    let calls = Arc::new(AtomicUsize::new(0));
    cache
        .get_or_load(&list, None, counting(&calls, Some(value(0))))
        .await
        .expect("load");
    cache.get_or_load(&list, None, never()).await.expect("hit");
    cache
        .invalidate(&event(
            EntityKind::DEPARTMENT,
            Uuid::new_v4(),
            ChangeOp::Updated,
            2,
            0,
        ))
        .await;
    cache
        .get_or_load(&list, None, counting(&calls, Some(value(0))))
        .await
        .expect("reload");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the faculty list was reloaded"
    );
}
