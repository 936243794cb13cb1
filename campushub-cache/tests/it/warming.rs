//! The warmer preloads chosen sets at start and on an interval.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::{CacheConfig, TieredCache, Warmer};
use campushub_core::{Cache, EntityKind};
use uuid::Uuid;

use crate::support::{counting, eventually, never, record, value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warmed_records_are_hits_and_the_warmer_repeats_until_stopped() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    let calls = Arc::new(AtomicUsize::new(0));
    let (job_ids, job_calls) = (ids.clone(), Arc::clone(&calls));
    let warmer = Warmer::new(cache.clone())
        .every(Duration::from_millis(50))
        .job_fn("recent students", move |cache| {
            let (ids, calls) = (job_ids.clone(), Arc::clone(&job_calls));
            Box::pin(async move {
                for id in &ids {
                    cache
                        .get_or_load(
                            &record(EntityKind::STUDENT, *id),
                            None,
                            counting(&calls, Some(value(1))),
                        )
                        .await?;
                }
                Ok(ids.len() as u64)
            })
        });
    assert_eq!(warmer.run_once().await, 3);
    for id in &ids {
        let hit = cache
            .get_or_load(&record(EntityKind::STUDENT, *id), None, never())
            .await
            .expect("warmed");
        assert_eq!(hit.map(|v| v.version), Some(1));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let handle = warmer.start();
    assert!(
        eventually(Duration::from_secs(5), || cache.metrics().warm_runs >= 3).await,
        "the warmer ran at start and on its interval"
    );
    handle.stop().await;
    let runs = cache.metrics().warm_runs;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        cache.metrics().warm_runs,
        runs,
        "a stopped warmer does not run"
    );
}
