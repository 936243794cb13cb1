//! Two instances ("servers") sharing one Redis namespace: a write through one is seen by the
//! other once the invalidation has propagated.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use campushub_core::{Cache, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{connect, counting, event, from_db, namespace, record, value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_a_is_read_through_b_after_propagation() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    assert!(a.metrics().subscribed && b.metrics().subscribed);
    let key = record(EntityKind::STUDENT, Uuid::new_v4());
    let db = Arc::new(AtomicI64::new(1));

    let first = b.get_or_load(&key, None, from_db(&db)).await.expect("load");
    assert_eq!(first.map(|v| v.version), Some(1));
    let cached = b.get_or_load(&key, None, from_db(&db)).await.expect("hit");
    assert_eq!(cached.map(|v| v.version), Some(1));
    assert_eq!(b.metrics().l1_hits, 1, "B serves v1 from its L1");

    db.store(2, Ordering::SeqCst);
    let written = Instant::now();
    a.invalidate(&event(
        EntityKind::STUDENT,
        key_id(&key),
        ChangeOp::Updated,
        2,
        10,
    ))
    .await;
    let mut seen = 1;
    while seen != 2 && written.elapsed() < Duration::from_secs(5) {
        seen = b
            .get_or_load(&key, None, from_db(&db))
            .await
            .expect("read")
            .map_or(0, |v| v.version);
    }
    let propagation = written.elapsed();
    println!("invalidation propagation A -> B: {propagation:?}");
    assert_eq!(seen, 2, "B still served the old version after 5 s");
    assert!(b.metrics().invalidations_received >= 1);
    assert_eq!(a.metrics().invalidations_sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_filled_by_a_is_an_l2_hit_for_b() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let key = record(EntityKind::FACULTY, Uuid::new_v4());
    let calls = Arc::new(AtomicUsize::new(0));
    a.get_or_load(&key, None, counting(&calls, Some(value(3))))
        .await
        .expect("load");
    let got = b
        .get_or_load(&key, None, counting(&calls, Some(value(3))))
        .await
        .expect("l2 hit");
    assert_eq!(got.map(|v| v.version), Some(3));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "B did not load");
    assert_eq!(b.metrics().l2_hits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_is_cached_until_a_create() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let key = record(EntityKind::DEPARTMENT, Uuid::new_v4());
    let calls = Arc::new(AtomicUsize::new(0));
    for cache in [&a, &a, &b] {
        let got = cache
            .get_or_load(&key, None, counting(&calls, None))
            .await
            .expect("lookup");
        assert!(got.is_none());
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the negative entry answered"
    );
    assert_eq!(
        b.metrics().l2_hits,
        1,
        "B read the negative entry from Redis"
    );

    a.invalidate(&event(
        EntityKind::DEPARTMENT,
        key_id(&key),
        ChangeOp::Created,
        1,
        5,
    ))
    .await;
    let created = a
        .get_or_load(&key, None, counting(&calls, Some(value(1))))
        .await
        .expect("load after create");
    assert_eq!(created.map(|v| v.version), Some(1));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

fn key_id(key: &campushub_core::CacheKey) -> Uuid {
    match key {
        campushub_core::CacheKey::Entity { id, .. } => *id,
        _ => Uuid::nil(),
    }
}
