//! While an instance cannot hear the invalidation channel it does not read Redis either: the
//! failure that cut it off (on a cluster, the channel's master failing over) may also have
//! kept another instance's invalidations out of Redis, and it would not hear of that. Redis is
//! used again a grace after the channel is back. The channel is cut here by withdrawing the
//! channel permission from our own `redis-server` child, so that data commands still work.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::TieredCache;
use campushub_core::{Cache, EntityKind};
use uuid::Uuid;

use crate::support::{
    connect_to, counting, eventually, namespace, raw_redis, record, value, RawRedis, RedisChild,
};

/// Reads `id` through `cache` with a loader that answers `version`; the version read.
async fn read(cache: &TieredCache, id: Uuid, loads: &Arc<AtomicUsize>, version: i64) -> i64 {
    cache
        .get_or_load(
            &record(EntityKind::STUDENT, id),
            None,
            counting(loads, Some(value(version))),
        )
        .await
        .expect("the loader answers")
        .map_or(0, |value| value.version)
}

/// Sets the default user's channel permission (`allchannels` or `resetchannels`).
async fn channels(redis: &mut RawRedis, permission: &str) {
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg("default")
        .arg(permission)
        .query_async::<()>(redis)
        .await
        .expect("ACL SETUSER");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_channel_keeps_lookups_off_redis_until_it_is_back_and_settled() {
    let redis = RedisChild::start();
    let ns = namespace();
    let (a, b) = (
        connect_to(&redis.url(), &ns).await,
        connect_to(&redis.url(), &ns).await,
    );
    assert!(a.metrics().subscribed && b.metrics().subscribed);
    // A caches version 1 of four records in Redis. The "database" has version 2 of each since
    // (a write whose invalidation never reached Redis): what B reads from Redis is stale.
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
    let loads = Arc::new(AtomicUsize::new(0));
    for id in &ids {
        assert_eq!(read(&a, *id, &loads, 1).await, 1);
    }
    assert_eq!(read(&b, ids[0], &loads, 2).await, 1, "B reads Redis");
    let hits = b.metrics().l2_hits;
    assert_eq!(hits, 1);

    let mut admin = raw_redis(&redis.url()).await;
    channels(&mut admin, "resetchannels").await;
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async::<i64>(&mut admin)
        .await
        .expect("CLIENT KILL");
    assert!(
        eventually(Duration::from_secs(5), || !b.metrics().subscribed).await,
        "B noticed the lost channel"
    );
    assert_eq!(
        read(&b, ids[1], &loads, 2).await,
        2,
        "the channel down, B loads rather than trust Redis"
    );

    channels(&mut admin, "allchannels").await;
    assert!(
        eventually(Duration::from_secs(5), || b.metrics().subscribed).await,
        "B subscribed again"
    );
    assert_eq!(
        read(&b, ids[2], &loads, 2).await,
        2,
        "just back, B still loads: others' queued invalidations may not have landed"
    );
    assert_eq!(b.metrics().l2_hits, hits, "Redis was skipped");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        read(&b, ids[3], &loads, 2).await,
        1,
        "the grace over, B reads Redis again"
    );
    assert_eq!(b.metrics().l2_hits, hits + 1);
}
