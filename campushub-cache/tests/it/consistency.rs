//! Regression tests of the consistency protocol, one per way it was found broken: a read that
//! carries a consistency token is answered only from a state at or after it (L1, L2 and
//! single flight alike), a "not found" read before a received invalidation is never cached,
//! and invalidations made while Redis was away replay in the background, newest first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use campushub_cache::TieredCache;
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{Cache, CacheKey, ChangeOp, ConsistencyToken, EntityKind};
use campushub_testkit::Relay;
use futures::StreamExt;
use tokio::sync::{oneshot, Notify};
use uuid::Uuid;

use crate::support::{
    config, connect, connect_to, counting, event, eventually, namespace, never, record, value,
    RedisChild,
};

fn at(position: u64) -> Option<ConsistencyToken> {
    Some(ConsistencyToken::from_position(position))
}

/// A loader returning `version`, read at `position`.
fn read_at(calls: &Arc<AtomicUsize>, version: i64, position: u64) -> Loader<'static> {
    counting(calls, Some(value(version).with_token(at(position))))
}

/// An instance that has not heard of a write yet (its message is on the way, or Redis is
/// down) holds version 1; the writer's client reads with the write's token: the entry was read
/// before it, so the read loads version 2, from L1 as from L2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_is_not_answered_by_an_entry_read_before_its_token() {
    let ns = namespace();
    let key = record(EntityKind::STUDENT, Uuid::new_v4());
    let calls = Arc::new(AtomicUsize::new(0));
    let b = connect(&ns).await;
    b.get_or_load(&key, None, read_at(&calls, 1, 10))
        .await
        .expect("fill");
    assert!(
        b.get_fresh(&key, at(10)).is_some(),
        "held as of position 10"
    );
    assert!(b.get_fresh(&key, at(20)).is_none(), "but not as of 20");

    let got = b
        .get_or_load(&key, at(20), read_at(&calls, 2, 20))
        .await
        .expect("read");
    assert_eq!(got.map(|v| v.version), Some(2), "L1 held version 1");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the token read loaded");

    // Another instance with an empty L1: Redis holds version 2 read at 20.
    let c = connect(&ns).await;
    let got = c.get_or_load(&key, at(20), never()).await.expect("L2 hit");
    assert_eq!(got.map(|v| v.version), Some(2));
    let got = c
        .get_or_load(&key, at(30), read_at(&calls, 3, 30))
        .await
        .expect("read");
    assert_eq!(got.map(|v| v.version), Some(3), "Redis held version 2");

    // Without Redis (L1 only, as while Redis is down), the same rule.
    let alone = TieredCache::l1_only(config(&ns)).expect("config");
    alone
        .get_or_load(&key, None, read_at(&calls, 1, 10))
        .await
        .expect("fill");
    let got = alone
        .get_or_load(&key, at(11), read_at(&calls, 2, 11))
        .await
        .expect("read");
    assert_eq!(got.map(|v| v.version), Some(2));
}

/// A token-less read leads a slow load; a write's token read of the same key must not join
/// it (its result predates the write): it loads on its own, and does not wait for the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_does_not_take_the_result_of_a_load_begun_before_its_write() {
    let cache = Arc::new(TieredCache::l1_only(config(&namespace())).expect("config"));
    let key = CacheKey::List {
        kind: EntityKind::STUDENT,
        query: "search=ada".to_owned(),
    };
    let started = Arc::new(Notify::new());
    let (release, released) = oneshot::channel::<()>();
    let slow: Loader<'static> = {
        let started = Arc::clone(&started);
        Box::new(move |_| -> LoadFuture<'static> {
            Box::pin(async move {
                started.notify_one();
                let _ = released.await;
                Ok(Some(value(0)))
            })
        })
    };
    let leader = {
        let (cache, key) = (Arc::clone(&cache), key.clone());
        tokio::spawn(async move { cache.get_or_load(&key, None, slow).await })
    };
    started.notified().await;

    let calls = Arc::new(AtomicUsize::new(0));
    let fresh = tokio::time::timeout(
        Duration::from_secs(10),
        cache.get_or_load(&key, at(5), read_at(&calls, 1, 5)),
    )
    .await
    .expect("the token read does not wait for the older load")
    .expect("read");
    assert_eq!(fresh.map(|v| v.version), Some(1));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    release.send(()).expect("the leader waits");
    let old = leader.await.expect("joined").expect("read");
    assert_eq!(old.map(|v| v.version), Some(0));
}

/// An instance receives another's invalidation of a record just created; its next read must
/// reach a copy that has the record: the message carries the write's token, so the loader's
/// ticket asks for it, and a lagging copy's "not found" is neither served nor cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_invalidation_makes_the_next_read_see_the_write() {
    let ns = namespace();
    let (a, b) = (connect(&ns).await, connect(&ns).await);
    let id = Uuid::new_v4();
    let key = record(EntityKind::STUDENT, id);
    // B knows the kind (an instance applies invalidations of kinds it has served).
    b.get_or_load(
        &record(EntityKind::STUDENT, Uuid::new_v4()),
        None,
        counting(&Arc::new(AtomicUsize::new(0)), None),
    )
    .await
    .expect("read");

    a.invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Created, 1, 100))
        .await;
    assert!(
        eventually(Duration::from_secs(5), || b
            .metrics()
            .invalidations_received
            >= 1)
        .await,
        "B hears of the create"
    );
    // The store: the primary has the record; a replica that lags behind position 100 does not.
    let replica_or_primary: Loader<'static> = Box::new(|ticket| -> LoadFuture<'static> {
        Box::pin(async move {
            Ok(if ticket.min_token >= at(100) {
                Some(value(1))
            } else {
                None
            })
        })
    });
    let got = b
        .get_or_load(&key, None, replica_or_primary)
        .await
        .expect("read");
    assert_eq!(got.map(|v| v.version), Some(1), "not a 404");
    let again = b.get_or_load(&key, None, never()).await.expect("hit");
    assert_eq!(again.map(|v| v.version), Some(1));
}

/// Invalidations queued while Redis was unreachable from one instance replay in the
/// background once it is back, newest first: the outage's last write is published before the
/// thousands queued before it, and no request has to come along to start the replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_invalidations_replay_in_the_background_newest_first() {
    let redis = RedisChild::start();
    let proxy = Relay::start(
        redis
            .url()
            .trim_start_matches("redis://")
            .trim_end_matches('/'),
    )
    .await;
    let ns = namespace();
    let a = connect_to(&format!("redis://{}/", proxy.address()), &ns).await;
    proxy.cut();
    const BACKLOG: u64 = 2_000;
    for n in 0..BACKLOG {
        a.invalidate(&event(
            EntityKind::STUDENT,
            Uuid::from_u128(u128::from(n) + 1),
            ChangeOp::Updated,
            2,
            n + 1,
        ))
        .await;
    }
    let last = Uuid::new_v4();
    a.invalidate(&event(
        EntityKind::STUDENT,
        last,
        ChangeOp::Updated,
        2,
        BACKLOG + 1,
    ))
    .await;
    assert!(a.replay_pending());
    assert!(a.metrics().invalidations_queued > BACKLOG);
    assert!(
        !a.settle(Duration::from_millis(200)).await,
        "nothing settles while Redis is unreachable"
    );

    // Listen directly, then let A reach Redis again.
    let client = redis::Client::open(redis.url()).expect("url");
    let mut pubsub = client.get_async_pubsub().await.expect("connect");
    pubsub
        .subscribe(format!("{ns}:invalidations"))
        .await
        .expect("subscribe");
    let mut messages = pubsub.on_message();
    proxy.restore();
    let mut order = Vec::new();
    while (order.len() as u64) <= BACKLOG {
        // Generous: a shared machine under load may time out a chunk (250 ms per Redis
        // command) and replay it again after a back-off; only a replay that never comes fails.
        let message = tokio::time::timeout(Duration::from_secs(60), messages.next())
            .await
            .expect("the backlog is replayed without any request")
            .expect("the channel stays open");
        let payload: String = message.get_payload().expect("text");
        order.push(payload);
    }
    let position = order
        .iter()
        .position(|m| m.contains(&last.to_string()))
        .expect("the last write is published");
    assert!(
        position < 256,
        "the newest invalidation went out in the first chunk, not at {position}"
    );
    assert!(
        a.settle(Duration::from_secs(30)).await,
        "the backlog is done"
    );
    assert!(!a.replay_pending());
    assert_eq!(a.metrics().invalidations_replayed, BACKLOG + 1);
}
