//! Concurrent misses on one key run one loader.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{Cache, EntityKind};
use uuid::Uuid;

use crate::support::{connect, namespace, record, value};

fn slow(calls: &Arc<AtomicUsize>) -> Loader<'static> {
    let calls = Arc::clone(calls);
    Box::new(move |_| -> LoadFuture<'static> {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(Some(value(4)))
        })
    })
}

async fn hundred_misses(cache: TieredCache) -> usize {
    let key = record(EntityKind::STUDENT, Uuid::new_v4());
    let calls = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (cache, key, loader) = (cache.clone(), key.clone(), slow(&calls));
            tokio::spawn(async move { cache.get_or_load(&key, None, loader).await })
        })
        .collect();
    for task in tasks {
        let got = task.await.expect("task").expect("lookup");
        assert_eq!(
            got.map(|v| v.version),
            Some(4),
            "every caller gets the value"
        );
    }
    calls.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_misses_run_one_load_with_redis() {
    let cache = connect(&namespace()).await;
    assert_eq!(hundred_misses(cache.clone()).await, 1);
    assert_eq!(cache.metrics().loads, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_misses_run_one_load_in_l1_only_mode() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    assert_eq!(hundred_misses(cache).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_leader_lets_a_follower_load() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let key = record(EntityKind::STUDENT, Uuid::new_v4());
    let failing: Loader<'static> = Box::new(|_| -> LoadFuture<'static> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(campushub_core::Error::Unavailable {
                message: "database down".to_owned(),
                source: None,
            })
        })
    });
    let (c1, k1) = (cache.clone(), key.clone());
    let leader = tokio::spawn(async move { c1.get_or_load(&k1, None, failing).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let follower = cache.get_or_load(&key, None, slow(&calls)).await;
    assert!(
        leader.await.expect("task").is_err(),
        "the leader's error is its own"
    );
    assert_eq!(follower.expect("follower").map(|v| v.version), Some(4));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
