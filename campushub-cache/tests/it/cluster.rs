//! The cache on the shared Redis Cluster (`CAMPUSHUB_TEST_REDIS_CLUSTER`, 3 masters with a
//! replica each, started by `scripts/services.sh`): a kind's records spread over every
//! master, and two instances see each other's invalidations through sharded pub/sub.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use campushub_core::{Cache, CacheKey, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{
    cluster_nodes, cluster_ports, connect_to, event, from_db, masters, namespace, record,
};

/// The shared test cluster's URL; fails (never skips) when it is not configured.
pub fn cluster_url() -> String {
    std::env::var("CAMPUSHUB_TEST_REDIS_CLUSTER").unwrap_or_else(|_| {
        panic!(
            "CAMPUSHUB_TEST_REDIS_CLUSTER is not set: run `scripts/services.sh start` and \
             `source` the env file it writes"
        )
    })
}

/// How many keys matching `pattern` each master holds, and its `DBSIZE`.
async fn per_master(url: &str, pattern: &str) -> BTreeMap<String, (usize, u64)> {
    let mut counts = BTreeMap::new();
    let ports = cluster_ports(url);
    for (port, _) in masters(ports[0]) {
        let master = format!("127.0.0.1:{port}");
        let mut conn = redis::Client::open(format!("redis://{master}/"))
            .expect("a node URL")
            .get_multiplexed_async_connection()
            .await
            .expect("the master answers");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        let size: u64 = redis::cmd("DBSIZE")
            .query_async(&mut conn)
            .await
            .expect("DBSIZE");
        counts.insert(master, (keys.len(), size));
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kinds_records_spread_over_every_master() {
    let ns = namespace();
    let url = cluster_url();
    let cache = connect_to(&url, &ns).await;
    assert!(cache.metrics().subscribed, "the sharded subscription is up");
    const RECORDS: usize = 3_000;
    for version in 0..RECORDS as i64 {
        let key = record(EntityKind::STUDENT, Uuid::new_v4());
        let db = Arc::new(AtomicI64::new(version));
        cache
            .get_or_load(&key, None, from_db(&db))
            .await
            .expect("load");
    }
    assert_eq!(
        cache.metrics().fills,
        RECORDS as u64,
        "every fill reached the cluster"
    );

    let counts = per_master(&url, &format!("{ns}:e:*")).await;
    assert_eq!(counts.len(), 3, "three masters serve slots: {counts:?}");
    let total: usize = counts.values().map(|(keys, _)| keys).sum();
    assert_eq!(
        total, RECORDS,
        "every record key is on some master: {counts:?}"
    );
    for (master, (keys, dbsize)) in &counts {
        let share = *keys as f64 / total as f64;
        println!(
            "{master}: {keys} of {total} student record keys ({:.1}%), DBSIZE {dbsize}",
            share * 100.0
        );
        assert!(
            share <= 0.45,
            "{master} holds {:.1}% of the record keys",
            share * 100.0
        );
        assert!(
            share >= 0.20,
            "{master} holds only {:.1}% of the record keys",
            share * 100.0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_the_cluster_see_each_others_invalidations() {
    let ns = namespace();
    let url = cluster_url();
    let (a, b) = (connect_to(&url, &ns).await, connect_to(&url, &ns).await);
    assert!(a.metrics().subscribed && b.metrics().subscribed);
    // Records in many slots, so that they live on every master.
    let records: Vec<(CacheKey, Uuid, Arc<AtomicI64>)> = (0..30)
        .map(|_| {
            let id = Uuid::new_v4();
            (
                record(EntityKind::STUDENT, id),
                id,
                Arc::new(AtomicI64::new(1)),
            )
        })
        .collect();
    for (key, _, db) in &records {
        b.get_or_load(key, None, from_db(db)).await.expect("load");
        let cached = b.get_or_load(key, None, from_db(db)).await.expect("hit");
        assert_eq!(cached.map(|v| v.version), Some(1));
    }
    assert_eq!(
        b.metrics().l1_hits,
        records.len() as u64,
        "B serves v1 from its L1"
    );

    let written = Instant::now();
    for (position, (_, id, db)) in records.iter().enumerate() {
        db.store(2, Ordering::SeqCst);
        a.invalidate(&event(
            EntityKind::STUDENT,
            *id,
            ChangeOp::Updated,
            2,
            10 + position as u64,
        ))
        .await;
    }
    for (key, _, db) in &records {
        let mut seen = 1;
        while seen != 2 && written.elapsed() < Duration::from_secs(5) {
            seen = b
                .get_or_load(key, None, from_db(db))
                .await
                .expect("read")
                .map_or(0, |v| v.version);
        }
        assert_eq!(seen, 2, "B still served the old version after 5 s");
    }
    println!(
        "invalidation propagation A -> B over the cluster: {:?}",
        written.elapsed()
    );
    assert_eq!(b.metrics().invalidations_received, records.len() as u64);
    assert_eq!(a.metrics().invalidations_sent, records.len() as u64);
    assert_eq!(a.metrics().redis_errors, 0);
}

/// Mean time of an operation, in µs.
fn mean_micros(latency: &campushub_cache::LatencySnapshot) -> f64 {
    latency.sum_seconds() * 1e6 / latency.count.max(1) as f64
}

/// Reads `RECORDS` records through a fresh cache on `url` twice (misses that fill Redis, then,
/// with L1 flushed, Redis hits) and writes each once; the mean L2 lookup, fill and
/// invalidation in µs.
async fn l2_round_trips(url: &str) -> (f64, f64, f64) {
    const RECORDS: usize = 2_000;
    let cache = connect_to(url, &namespace()).await;
    let keys: Vec<(CacheKey, Uuid)> = (0..RECORDS)
        .map(|_| {
            let id = Uuid::new_v4();
            (record(EntityKind::STUDENT, id), id)
        })
        .collect();
    let db = Arc::new(AtomicI64::new(1));
    for (key, _) in &keys {
        cache
            .get_or_load(key, None, from_db(&db))
            .await
            .expect("miss");
    }
    cache.flush_l1();
    for (key, _) in &keys {
        cache
            .get_or_load(key, None, from_db(&db))
            .await
            .expect("hit");
    }
    for (position, (_, id)) in keys.iter().enumerate() {
        cache
            .invalidate(&event(
                EntityKind::STUDENT,
                *id,
                ChangeOp::Updated,
                2,
                position as u64 + 1,
            ))
            .await;
    }
    let metrics = cache.metrics();
    assert_eq!(
        metrics.l2_hits, RECORDS as u64,
        "the second pass read Redis: {url}"
    );
    assert_eq!(
        metrics.fills, RECORDS as u64,
        "the first pass filled Redis: {url}"
    );
    assert_eq!(metrics.redis_errors, 0, "{url}");
    (
        mean_micros(&metrics.latency.l2_get),
        mean_micros(&metrics.latency.l2_set),
        mean_micros(&metrics.latency.l2_invalidate),
    )
}

/// The cost of the cluster per L2 operation, beside one server, in one run (printed for
/// `docs/performance.md`; the assertions are on what reached Redis, not on times).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2_operations_on_the_cluster_beside_one_server() {
    let single_url = crate::support::redis_url();
    assert!(
        cluster_nodes(&single_url).is_none(),
        "CAMPUSHUB_TEST_REDIS must be the single server for this comparison"
    );
    let single = l2_round_trips(&single_url).await;
    let cluster = l2_round_trips(&cluster_url()).await;
    for (name, one, many) in [
        ("lookup", single.0, cluster.0),
        ("fill", single.1, cluster.1),
        ("invalidation", single.2, cluster.2),
    ] {
        println!(
            "L2 {name}: one server {one:.0} µs, cluster {many:.0} µs, ratio {:.2}",
            many / one
        );
    }
}
