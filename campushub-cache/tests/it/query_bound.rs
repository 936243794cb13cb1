//! The per-kind bound on list and statistics entries in Redis
//! (`CacheConfig::max_query_entries_per_kind`): a seeded flood of distinct queries leaves the
//! newest entries of the kind up to the cap, named exactly by the kind's index; other kinds
//! are untouched; an evicted entry is a plain miss; a fill paused across a write is still
//! refused while the cap evicts; expired entries make room before live ones, and an idle kind
//! leaves nothing behind.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{Cache, CacheKey, CachedValue, ChangeOp, EntityKind};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::support::{
    config, connect_with, counting, event, namespace, never, raw_redis, redis_url, scan, seed,
    RawRedis, SplitMix,
};

/// The cap of the flood test.
const CAP: usize = 50;
/// Distinct queries in the flood test.
const FLOOD: usize = 1_000;

/// A cache on the shared Redis keeping at most `cap` query entries per kind.
async fn capped(ns: &str, cap: usize) -> TieredCache {
    connect_with(CacheConfig {
        max_query_entries_per_kind: cap,
        ..config(ns)
    })
    .await
}

/// `count` distinct list and statistics keys of `kind`, drawn from `rng`: a random search, a
/// filter and a page, as a caller varying its query string would send them.
fn distinct_queries(rng: &mut SplitMix, kind: EntityKind, count: usize) -> Vec<CacheKey> {
    const STATUSES: [&str; 3] = ["ACTIVE", "GRADUATED", "SUSPENDED"];
    let mut seen = HashSet::new();
    let mut keys = Vec::with_capacity(count);
    while keys.len() < count {
        let search: String = (0..8)
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect();
        let status = STATUSES[rng.below(3) as usize];
        let page = 1 + rng.below(20);
        let query = format!(
            "{{\"filters\":[\"status={status}\"],\"search\":\"{search}\",\"page\":{page}}}"
        );
        if !seen.insert(query.clone()) {
            continue;
        }
        keys.push(if rng.below(2) == 0 {
            CacheKey::List { kind, query }
        } else {
            CacheKey::Stats { kind, query }
        });
    }
    keys
}

/// A page or count of `bytes` padding, naming `label`, as a query entry holds it.
fn page(label: &str, bytes: usize) -> CachedValue {
    let json = format!("{{\"of\":\"{label}\",\"pad\":\"{}\"}}", "x".repeat(bytes));
    CachedValue::from_json(Bytes::from(json), 0)
}

/// Reads every key on `cache` (each a miss that loads and fills); returns the values filled.
async fn fill_all(cache: &TieredCache, keys: &[CacheKey], rng: &mut SplitMix) -> Vec<Bytes> {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut filled = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let value = page(&format!("fill {i}"), rng.below(512) as usize);
        filled.push(value.json.clone());
        cache
            .get_or_load(key, None, counting(&calls, Some(value)))
            .await
            .expect("read");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        keys.len(),
        "every read missed"
    );
    filled
}

/// The Redis key of a query key, as the key layout (`keys.rs`) names it.
fn redis_name(ns: &str, key: &CacheKey) -> String {
    match key {
        CacheKey::List { kind, query } => format!("{ns}:l:{{{kind}}}:{query}"),
        CacheKey::Stats { kind, query } => format!("{ns}:s:{{{kind}}}:{query}"),
        CacheKey::Entity { .. } => panic!("a query key was expected"),
    }
}

/// The Redis keys of `keys`.
fn redis_names(ns: &str, keys: &[CacheKey]) -> BTreeSet<String> {
    keys.iter().map(|key| redis_name(ns, key)).collect()
}

/// The list and statistics entries of `kind` in Redis.
async fn entries(redis: &mut RawRedis, ns: &str, kind: EntityKind) -> BTreeSet<String> {
    scan(redis, &format!("{ns}:?:{{{kind}}}:*")).await
}

/// The index of `kind`'s query keys.
fn index_key(ns: &str, kind: EntityKind) -> String {
    format!("{ns}:q:{{{kind}}}")
}

/// The members of `kind`'s index.
async fn index(redis: &mut RawRedis, ns: &str, kind: EntityKind) -> BTreeSet<String> {
    redis::cmd("ZRANGE")
        .arg(index_key(ns, kind))
        .arg(0)
        .arg(-1)
        .query_async(redis)
        .await
        .expect("ZRANGE")
}

/// Whether `key` exists in Redis.
async fn exists(redis: &mut RawRedis, key: &str) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(redis)
        .await
        .expect("EXISTS")
        == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_distinct_queries_keeps_only_the_newest_up_to_the_cap() {
    let ns = namespace();
    let mut rng = SplitMix(seed(0xb0d1_7e57));
    let cache = capped(&ns, CAP).await;
    let mut redis = raw_redis(&redis_url()).await;

    // Another kind's entries, filled first: the flood must leave them alone.
    let departments = distinct_queries(&mut rng, EntityKind::DEPARTMENT, 20);
    let department_pages = fill_all(&cache, &departments, &mut rng).await;
    let students = distinct_queries(&mut rng, EntityKind::STUDENT, FLOOD);
    let student_pages = fill_all(&cache, &students, &mut rng).await;

    let kept = entries(&mut redis, &ns, EntityKind::STUDENT).await;
    let newest = &students[FLOOD - CAP..];
    assert_eq!(
        kept,
        redis_names(&ns, newest),
        "the newest {CAP} of {FLOOD} entries are kept, and no other"
    );
    assert_eq!(
        index(&mut redis, &ns, EntityKind::STUDENT).await,
        kept,
        "the index names exactly the entries in Redis"
    );
    assert_eq!(cache.metrics().l2_evictions, (FLOOD - CAP) as u64);
    let others = entries(&mut redis, &ns, EntityKind::DEPARTMENT).await;
    assert_eq!(
        others,
        redis_names(&ns, &departments),
        "other kinds untouched"
    );
    assert_eq!(index(&mut redis, &ns, EntityKind::DEPARTMENT).await, others);

    // A cache with an empty L1 gets what Redis kept: the newest entries and the other kind hit.
    let reader = capped(&ns, CAP).await;
    let kept_pages = newest.iter().zip(&student_pages[FLOOD - CAP..]);
    for (key, filled) in kept_pages.chain(departments.iter().zip(&department_pages)) {
        let hit = reader.get_or_load(key, None, never()).await.expect("read");
        assert_eq!(hit.map(|v| v.json).as_ref(), Some(filled), "{key:?}");
    }
    assert_eq!(reader.metrics().l2_hits, (CAP + departments.len()) as u64);

    // An evicted entry is a plain miss: the loader runs and its value is what the read returns.
    let calls = Arc::new(AtomicUsize::new(0));
    for (i, key) in students[..10].iter().enumerate() {
        let fresh = page(&format!("reloaded {i}"), 16);
        let read = reader
            .get_or_load(key, None, counting(&calls, Some(fresh.clone())))
            .await
            .expect("read");
        assert_eq!(read.map(|v| v.json), Some(fresh.json), "{key:?}");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        10,
        "evicted entries are misses"
    );
    assert_eq!(
        entries(&mut redis, &ns, EntityKind::STUDENT).await.len(),
        CAP
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_paused_across_a_write_is_refused_while_the_cap_evicts() {
    const SMALL: usize = 5;
    let ns = namespace();
    let reader = capped(&ns, SMALL).await;
    let writer = capped(&ns, SMALL).await;
    let mut redis = raw_redis(&redis_url()).await;
    let key = CacheKey::List {
        kind: EntityKind::STUDENT,
        query: "paused".to_owned(),
    };

    // The reader reads, then waits while the writer writes and floods the kind past its cap.
    let (read, proceed) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let loader: Loader<'static> = {
        let (read, proceed) = (Arc::clone(&read), Arc::clone(&proceed));
        Box::new(move |_| -> LoadFuture<'static> {
            Box::pin(async move {
                read.notify_one();
                proceed.notified().await;
                Ok(Some(page("before the write", 8)))
            })
        })
    };
    let paused = {
        let (reader, key) = (reader.clone(), key.clone());
        tokio::spawn(async move { reader.get_or_load(&key, None, loader).await })
    };
    read.notified().await;
    let write = event(EntityKind::STUDENT, Uuid::new_v4(), ChangeOp::Updated, 2, 7);
    writer.invalidate(&write).await;
    let mut rng = SplitMix(seed(0x5ca1_ab1e));
    let flood = distinct_queries(&mut rng, EntityKind::STUDENT, 4 * SMALL);
    fill_all(&writer, &flood, &mut rng).await;
    assert_eq!(writer.metrics().l2_evictions, (3 * SMALL) as u64);
    proceed.notify_one();
    let returned = paused.await.expect("reader task").expect("read");
    assert_eq!(
        returned.map(|v| v.json),
        Some(page("before the write", 8).json),
        "the paused read returns what it read"
    );

    assert_eq!(
        reader.metrics().fills_refused,
        1,
        "the stale fill was refused"
    );
    assert!(
        !exists(&mut redis, &redis_name(&ns, &key)).await,
        "the stale value is not in Redis"
    );
    assert_eq!(
        index(&mut redis, &ns, EntityKind::STUDENT).await,
        redis_names(&ns, &flood[3 * SMALL..]),
        "the refused fill left the index alone"
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let fresh = page("after the write", 8);
    let next = capped(&ns, SMALL)
        .await
        .get_or_load(&key, None, counting(&calls, Some(fresh.clone())))
        .await
        .expect("read");
    assert_eq!(next.map(|v| v.json), Some(fresh.json));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the next read loads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_entries_make_room_before_live_ones_and_an_idle_kind_leaves_nothing() {
    // Two instances with different TTLs share the kind: the index must follow each entry's.
    const SHORT: Duration = Duration::from_millis(500);
    const LONG: Duration = Duration::from_secs(3);
    const SMALL: usize = 3;
    let ns = namespace();
    let with_ttl = |l2_ttl| CacheConfig {
        l2_ttl,
        max_query_entries_per_kind: SMALL,
        ..config(&ns)
    };
    let (short, long) = (
        connect_with(with_ttl(SHORT)).await,
        connect_with(with_ttl(LONG)).await,
    );
    let mut redis = raw_redis(&redis_url()).await;
    let index_ttl = |redis: &mut RawRedis| {
        let mut redis = redis.clone();
        let key = index_key(&ns, EntityKind::STUDENT);
        async move {
            redis::cmd("PTTL")
                .arg(key)
                .query_async::<i64>(&mut redis)
                .await
                .expect("PTTL")
        }
    };
    let mut rng = SplitMix(seed(0x1d1e));
    let keys = distinct_queries(&mut rng, EntityKind::STUDENT, 4);
    let (first, live, last) = (&keys[..1], &keys[1..3], &keys[3..]);
    fill_all(&short, first, &mut rng).await;
    let ttl = index_ttl(&mut redis).await;
    // Whole milliseconds, rounded up: one more than the TTL at most.
    assert!(
        (1..=SHORT.as_millis() as i64 + 1).contains(&ttl),
        "the index expires with its entry, in {ttl} ms"
    );
    // Refilled under a new generation, a query overwrites its entry in place.
    let write = event(EntityKind::STUDENT, Uuid::new_v4(), ChangeOp::Updated, 2, 9);
    short.invalidate(&write).await;
    fill_all(&short, first, &mut rng).await;
    assert_eq!(
        index(&mut redis, &ns, EntityKind::STUDENT).await,
        redis_names(&ns, first)
    );

    // Two longer-lived entries fill the cap, and the index now lives as long as they do.
    fill_all(&long, live, &mut rng).await;
    let ttl = index_ttl(&mut redis).await;
    assert!(ttl > SHORT.as_millis() as i64, "the index lives {ttl} ms");
    // Once the first has expired, the next fill takes the cap over: the expired entry makes
    // room, and no live one is evicted.
    tokio::time::sleep(SHORT + Duration::from_millis(200)).await;
    fill_all(&long, last, &mut rng).await;
    let kept = redis_names(&ns, &keys[1..]);
    assert_eq!(entries(&mut redis, &ns, EntityKind::STUDENT).await, kept);
    assert_eq!(index(&mut redis, &ns, EntityKind::STUDENT).await, kept);
    let evictions = short.metrics().l2_evictions + long.metrics().l2_evictions;
    assert_eq!(evictions, 0, "nothing live was evicted");

    // And once the last entry has expired, the kind leaves nothing but its generation.
    tokio::time::sleep(LONG + Duration::from_millis(200)).await;
    assert!(entries(&mut redis, &ns, EntityKind::STUDENT)
        .await
        .is_empty());
    assert!(!exists(&mut redis, &index_key(&ns, EntityKind::STUDENT)).await);
}
