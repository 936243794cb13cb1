//! Redis dies mid-test (our own `redis-server` child): every operation still succeeds; Redis
//! comes back: L1 is flushed and caching through Redis resumes.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::CircuitState;
use campushub_core::{Cache, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{
    connect_to, counting, event, eventually, namespace, record, value, RedisChild,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_test() {
    let mut redis = RedisChild::start();
    let cache = connect_to(&redis.url(), &namespace()).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let cached = record(EntityKind::STUDENT, Uuid::new_v4());
    cache
        .get_or_load(&cached, None, counting(&calls, Some(value(1))))
        .await
        .expect("load");
    assert_eq!(cache.metrics().fills, 1, "Redis took the fill");

    redis.kill();
    // Reads and writes keep succeeding, from L1 and the loader.
    for round in 0..20_i64 {
        let key = record(EntityKind::STUDENT, Uuid::new_v4());
        let got = cache
            .get_or_load(&key, None, counting(&calls, Some(value(round))))
            .await
            .expect("a read with Redis down is not an error");
        assert_eq!(got.map(|v| v.version), Some(round));
        cache
            .invalidate(&event(
                EntityKind::STUDENT,
                Uuid::new_v4(),
                ChangeOp::Updated,
                2,
                1,
            ))
            .await;
    }
    // A write with Redis down still invalidates this instance's L1.
    let id = match &cached {
        campushub_core::CacheKey::Entity { id, .. } => *id,
        _ => unreachable!(),
    };
    cache
        .invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Updated, 2, 2))
        .await;
    let after_write = cache
        .get_or_load(&cached, None, counting(&calls, Some(value(2))))
        .await
        .expect("read");
    assert_eq!(after_write.map(|v| v.version), Some(2));
    let down = cache.metrics();
    assert!(down.redis_errors > 0);
    assert!(down.circuit_opens >= 1, "the breaker opened");
    assert!(down.invalidations_queued >= 1);
    assert!(
        eventually(Duration::from_secs(5), || !cache.metrics().subscribed).await,
        "the subscriber noticed the loss"
    );

    redis.restart();
    let flushes = down.l1_flushes;
    assert!(
        eventually(Duration::from_secs(10), || {
            let now = cache.metrics();
            now.subscribed && now.l1_flushes > flushes
        })
        .await,
        "L1 was flushed when the subscription came back"
    );
    // Caching through Redis resumes (the breaker probes after its cool-down).
    let fills = cache.metrics().fills;
    let mut resumed = false;
    for _ in 0..100 {
        let key = record(EntityKind::FACULTY, Uuid::new_v4());
        cache
            .get_or_load(&key, None, counting(&calls, Some(value(1))))
            .await
            .expect("read");
        if cache.metrics().fills > fills {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(resumed, "fills reach Redis again");
    assert_eq!(cache.metrics().circuit, CircuitState::Closed);
}
