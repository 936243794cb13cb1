//! The stale-set race made deterministic: a reader pauses between its read and its fill while
//! a writer commits and invalidates; the fill must be refused.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{
    Cache, CacheKey, CachedValue, ChangeOp, ConsistencyToken, EntityKind, FillTicket,
};
use tokio::sync::{Mutex, Notify};
use uuid::Uuid;

use crate::support::{connect, counting, event, eventually, namespace, never, value};

/// A loader that reads the "database", then waits for `proceed` before returning.
struct Paused {
    read: Arc<Notify>,
    proceed: Arc<Notify>,
    ticket: Arc<Mutex<Option<FillTicket>>>,
}

impl Paused {
    fn new() -> Self {
        Paused {
            read: Arc::new(Notify::new()),
            proceed: Arc::new(Notify::new()),
            ticket: Arc::new(Mutex::new(None)),
        }
    }

    /// The loader: records its ticket, reads `db` (plus `token`), signals, waits.
    fn loader(&self, db: &Arc<AtomicI64>, token: Option<u64>) -> Loader<'static> {
        let (db, read, proceed, seen) = (
            Arc::clone(db),
            Arc::clone(&self.read),
            Arc::clone(&self.proceed),
            Arc::clone(&self.ticket),
        );
        Box::new(move |ticket| -> LoadFuture<'static> {
            Box::pin(async move {
                *seen.lock().await = Some(ticket);
                let version = db.load(Ordering::SeqCst);
                read.notify_one();
                proceed.notified().await;
                Ok(Some(
                    value(version).with_token(token.map(ConsistencyToken::from_position)),
                ))
            })
        })
    }
}

/// Starts a read of `key` on `cache` and returns once its loader has read `db` and paused.
async fn paused_read(
    cache: &TieredCache,
    key: &CacheKey,
    db: &Arc<AtomicI64>,
) -> (
    Paused,
    tokio::task::JoinHandle<campushub_core::Result<Option<CachedValue>>>,
) {
    let paused = Paused::new();
    let loader = paused.loader(db, None);
    let (cache, key) = (cache.clone(), key.clone());
    let read = tokio::spawn(async move { cache.get_or_load(&key, None, loader).await });
    paused.read.notified().await;
    (paused, read)
}

/// Runs the race on `reader` with the write applied through `writer`; returns what the
/// paused read returned.
async fn race(
    reader: &TieredCache,
    writer: &TieredCache,
    key: &CacheKey,
    db: &Arc<AtomicI64>,
    write: campushub_core::ChangeEvent,
) -> Option<CachedValue> {
    let paused = Paused::new();
    let loader = paused.loader(db, None);
    let (reader2, key2) = (reader.clone(), key.clone());
    let read = tokio::spawn(async move { reader2.get_or_load(&key2, None, loader).await });
    paused.read.notified().await;
    db.fetch_add(1, Ordering::SeqCst);
    writer.invalidate(&write).await;
    paused.proceed.notify_one();
    read.await.expect("reader task").expect("read")
}

/// After a race: the paused read returned the old version, exactly one fill was refused, and
/// the next read loads (the stale value was not cached) and returns the new version.
async fn assert_refused_then_fresh(cache: &TieredCache, key: &CacheKey, old: Option<CachedValue>) {
    assert_eq!(
        old.map(|v| v.json),
        Some(value(1).json),
        "the paused read returns what it read"
    );
    assert_eq!(
        cache.metrics().fills_refused,
        1,
        "the stale fill was refused"
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let next = cache
        .get_or_load(key, None, counting(&calls, Some(value(2))))
        .await
        .expect("read");
    assert_eq!(next.map(|v| v.json), Some(value(2).json));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the stale value was not cached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_record_fill_is_refused_after_a_write_on_another_instance() {
    let ns = namespace();
    let (reader, writer) = (connect(&ns).await, connect(&ns).await);
    let id = Uuid::new_v4();
    let key = CacheKey::Entity {
        kind: EntityKind::STUDENT,
        id,
    };
    let db = Arc::new(AtomicI64::new(1));
    let write = event(EntityKind::STUDENT, id, ChangeOp::Updated, 2, 20);
    let old = race(&reader, &writer, &key, &db, write).await;
    assert_refused_then_fresh(&reader, &key, old).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_record_fill_is_refused_in_l1_only_mode() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let id = Uuid::new_v4();
    let key = CacheKey::Entity {
        kind: EntityKind::FACULTY,
        id,
    };
    let db = Arc::new(AtomicI64::new(1));
    let write = event(EntityKind::FACULTY, id, ChangeOp::Updated, 2, 0);
    let old = race(&cache, &cache, &key, &db, write).await;
    assert_refused_then_fresh(&cache, &key, old).await;
}

/// After a race whose write touched another record: the paused read was cached (no fill
/// refused) and the next read is an L1 hit.
async fn assert_kept(cache: &TieredCache, key: &CacheKey, old: Option<CachedValue>) {
    assert_eq!(old.map(|v| v.json), Some(value(1).json));
    assert_eq!(
        cache.metrics().fills_refused,
        0,
        "a write to another record of the kind does not refuse the fill"
    );
    let hit = cache.get_or_load(key, None, never()).await.expect("hit");
    assert_eq!(hit.map(|v| v.json), Some(value(1).json), "served from L1");
}

// Fixed ids: deterministic record stripes (these two do not share one).
const X: Uuid = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
const Y: Uuid = Uuid::from_u128(0xfedc_ba98_7654_3210_fedc_ba98_7654_3210);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_record_fill_is_kept_when_another_record_of_its_kind_is_written() {
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let key = CacheKey::Entity {
        kind: EntityKind::FACULTY,
        id: X,
    };
    let db = Arc::new(AtomicI64::new(1));
    let write = event(EntityKind::FACULTY, Y, ChangeOp::Updated, 5, 0);
    let old = race(&cache, &cache, &key, &db, write).await;
    assert_kept(&cache, &key, old).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_record_fill_is_kept_when_another_instance_writes_another_record() {
    let ns = namespace();
    let (reader, writer) = (connect(&ns).await, connect(&ns).await);
    let key = CacheKey::Entity {
        kind: EntityKind::STUDENT,
        id: X,
    };
    let db = Arc::new(AtomicI64::new(1));
    let (paused, read) = paused_read(&reader, &key, &db).await;
    writer
        .invalidate(&event(EntityKind::STUDENT, Y, ChangeOp::Updated, 3, 40))
        .await;
    // The message reaches the reader's L1 before its fill.
    let arrived = eventually(std::time::Duration::from_secs(5), || {
        reader.metrics().invalidations_received == 1
    })
    .await;
    assert!(arrived, "the reader heard of the write");
    paused.proceed.notify_one();
    let old = read.await.expect("reader task").expect("read");
    assert_kept(&reader, &key, old).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_record_fill_is_refused_when_the_tombstone_was_evicted() {
    // One byte: nothing is admitted, so the write's tombstone is gone before the fill.
    let cache = TieredCache::l1_only(CacheConfig {
        l1_max_bytes: 1,
        ..CacheConfig::default()
    })
    .expect("config");
    let key = CacheKey::Entity {
        kind: EntityKind::STUDENT,
        id: X,
    };
    let db = Arc::new(AtomicI64::new(1));
    let (paused, read) = paused_read(&cache, &key, &db).await;
    db.fetch_add(1, Ordering::SeqCst);
    cache
        .invalidate(&event(EntityKind::STUDENT, X, ChangeOp::Updated, 2, 0))
        .await;
    cache.run_pending_tasks().await;
    assert!(
        cache.metrics().l1_evictions >= 1,
        "the tombstone was evicted"
    );
    paused.proceed.notify_one();
    let old = read.await.expect("reader task").expect("read");
    assert_eq!(old.map(|v| v.version), Some(1));
    assert_eq!(
        cache.metrics().fills_refused,
        1,
        "the record's stripe refused the stale fill"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_list_fill_is_refused_across_a_generation_bump() {
    let ns = namespace();
    let (reader, writer) = (connect(&ns).await, connect(&ns).await);
    let key = CacheKey::List {
        kind: EntityKind::STUDENT,
        query: "ordering=-created_at&page_size=20".to_owned(),
    };
    let db = Arc::new(AtomicI64::new(1));
    // A department write bumps the student generation (students embed their department).
    let write = event(
        EntityKind::DEPARTMENT,
        Uuid::new_v4(),
        ChangeOp::Updated,
        7,
        30,
    );
    let old = race(&reader, &writer, &key, &db, write).await;
    assert_refused_then_fresh(&reader, &key, old).await;
    let again = writer
        .get_or_load(&key, None, never())
        .await
        .expect("l2 hit");
    assert_eq!(
        again.map(|v| v.json),
        Some(value(2).json),
        "the fresh page was cached in Redis"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_fill_read_before_the_generations_token_is_refused() {
    let ns = namespace();
    let cache = connect(&ns).await;
    let key = CacheKey::Stats {
        kind: EntityKind::STUDENT,
        query: "by=status".to_owned(),
    };
    cache
        .invalidate(&event(
            EntityKind::STUDENT,
            Uuid::new_v4(),
            ChangeOp::Created,
            1,
            100,
        ))
        .await;

    // A replica that had replayed only up to position 50 served the read.
    let seen = Arc::new(Mutex::new(None));
    let seen2 = Arc::clone(&seen);
    let lagging: Loader<'static> = Box::new(move |ticket| -> LoadFuture<'static> {
        Box::pin(async move {
            *seen2.lock().await = Some(ticket);
            Ok(Some(
                CachedValue::from_json(Bytes::from_static(b"{\"total\":1}"), 0)
                    .with_token(Some(ConsistencyToken::from_position(50))),
            ))
        })
    });
    cache.get_or_load(&key, None, lagging).await.expect("read");
    let ticket = seen.lock().await.expect("the loader ran");
    assert_eq!(
        ticket.min_token,
        Some(ConsistencyToken::from_position(100)),
        "the ticket asks for the generation's token"
    );
    assert_eq!(
        cache.metrics().fills_refused,
        1,
        "the lagging fill was refused"
    );

    let calls = Arc::new(AtomicUsize::new(0));
    let fresh = CachedValue::from_json(Bytes::from_static(b"{\"total\":2}"), 0)
        .with_token(Some(ConsistencyToken::from_position(100)));
    cache
        .get_or_load(&key, None, counting(&calls, Some(fresh)))
        .await
        .expect("read");
    let hit = cache.get_or_load(&key, None, never()).await.expect("hit");
    assert_eq!(
        hit.map(|v| v.json),
        Some(Bytes::from_static(b"{\"total\":2}"))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.metrics().fills, 1);
}
