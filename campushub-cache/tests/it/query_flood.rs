//! What a flood of distinct list queries costs Redis, with the per-kind cap
//! (`CacheConfig::max_query_entries_per_kind`, default) and without it (a cap above the
//! flood): `INFO memory`'s `used_memory` before and after, the entries left, the index's own
//! size (`MEMORY USAGE`) and the fill rate. The figures are in `docs/security.md`.
//!
//! Ignored, as a measurement of a few minutes; it starts a `redis-server` of its own for each
//! run (no service needed), so that `used_memory` counts nothing else:
//!
//! ```sh
//! cargo nextest run -p campushub-cache --run-ignored ignored-only --no-capture \
//!     -E 'test(query_flood::)'
//! ```
//!
//! `CAMPUSHUB_FLOOD_QUERIES` (100000) sets the number of distinct queries and
//! `CAMPUSHUB_FLOOD_VALUE_BYTES` (`50,400`: an empty page, a statistics answer) the size of
//! each entry, comma-separated for one run per size; `CAMPUSHUB_FLOOD_QUERIES=20000
//! CAMPUSHUB_FLOOD_VALUE_BYTES=40000` floods with pages of 50 students. It prints one table
//! row per run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{Cache, CacheKey, CachedValue, EntityKind};

use crate::support::{config, namespace, raw_redis, RawRedis, RedisChild};

/// Requests in flight at once, as many clients of a server would send them.
const WORKERS: usize = 32;

/// What one flood left in Redis.
struct Outcome {
    entries: u64,
    before: u64,
    after: u64,
    index: u64,
    fills_per_second: f64,
    script_micros: f64,
}

/// A positive number from `variable`, else `default`.
fn number(variable: &str, default: usize) -> usize {
    std::env::var(variable).map_or(default, |text| {
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{variable} `{text}` is not a number"))
    })
}

/// The value of the `field:` line of `INFO section`.
async fn info(redis: &mut RawRedis, section: &str, field: &str) -> String {
    let text: String = redis::cmd("INFO")
        .arg(section)
        .query_async(redis)
        .await
        .expect("INFO");
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|| panic!("INFO {section} has no {field}"))
}

/// `INFO memory`'s `used_memory`, in bytes.
async fn used_memory(redis: &mut RawRedis) -> u64 {
    let used = info(redis, "memory", "used_memory").await;
    used.parse().expect("used_memory is a number")
}

/// The mean time Redis spent in one script call (lookups and fills), from `INFO
/// commandstats` (`calls=…,usec=…,usec_per_call=…`), in microseconds.
async fn script_micros(redis: &mut RawRedis) -> f64 {
    let stats = info(redis, "commandstats", "cmdstat_evalsha").await;
    stats
        .split(',')
        .find_map(|field| field.strip_prefix("usec_per_call="))
        .and_then(|value| value.parse().ok())
        .expect("cmdstat_evalsha has usec_per_call")
}

/// A loader of one page of `bytes`.
fn page(bytes: usize) -> Loader<'static> {
    Box::new(move |_| -> LoadFuture<'static> {
        let json = format!("{{\"results\":[],\"pad\":\"{}\"}}", "x".repeat(bytes));
        Box::pin(async move { Ok(Some(CachedValue::from_json(Bytes::from(json), 0))) })
    })
}

/// Sends `queries` distinct list queries of students, each answered by a page of `bytes`, to
/// a cache keeping `cap` entries per kind, on a Redis of their own.
async fn flood(queries: usize, bytes: usize, cap: usize) -> Outcome {
    let redis = RedisChild::start();
    let ns = namespace();
    let cache = TieredCache::connect(
        CacheConfig {
            max_query_entries_per_kind: cap,
            // L1 holds little, so that the test's own memory stays small.
            l1_max_bytes: 1 << 20,
            // Generous: the flood fills as fast as Redis goes.
            redis_timeout: Duration::from_secs(5),
            ..config(&ns)
        },
        &redis.url(),
        Duration::from_secs(5),
    )
    .await
    .expect("the configuration is valid");
    let mut conn = raw_redis(&redis.url()).await;
    let before = used_memory(&mut conn).await;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let (cache, next) = (cache.clone(), Arc::clone(&next));
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= queries {
                    return;
                }
                let key = CacheKey::List {
                    kind: EntityKind::STUDENT,
                    // The shape and length of a real list fingerprint.
                    query: format!(
                        r#"{{"ordering":"-created_at,id","page":null,"page_size":50,"selection":"{{\"filters\":[],\"kind\":\"student\",\"search\":\"flood-{i:08}\"}}"}}"#
                    ),
                };
                cache.get_or_load(&key, None, page(bytes)).await.expect("read");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
    let elapsed = started.elapsed();
    assert_eq!(cache.metrics().redis_errors, 0, "every fill reached Redis");
    let after = used_memory(&mut conn).await;
    let index_key = format!("{ns}:q:{{student}}");
    let index: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&index_key)
        .arg("SAMPLES")
        .arg(0)
        .query_async(&mut conn)
        .await
        .expect("MEMORY USAGE");
    let keys: u64 = redis::cmd("DBSIZE")
        .query_async(&mut conn)
        .await
        .expect("DBSIZE");
    Outcome {
        // Every key but the index is an entry: nothing bumped a generation.
        entries: keys - u64::from(index.is_some()),
        before,
        after,
        index: index.unwrap_or(0),
        fills_per_second: queries as f64 / elapsed.as_secs_f64(),
        script_micros: script_micros(&mut conn).await,
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement of a few minutes: see the module's docs"]
async fn memory_of_a_flood_of_distinct_queries() {
    let queries = number("CAMPUSHUB_FLOOD_QUERIES", 100_000);
    let sizes: Vec<usize> = std::env::var("CAMPUSHUB_FLOOD_VALUE_BYTES")
        .unwrap_or_else(|_| "50,400".to_owned())
        .split(',')
        .map(|size| {
            size.trim()
                .parse()
                .unwrap_or_else(|_| panic!("CAMPUSHUB_FLOOD_VALUE_BYTES: `{size}` is not a number"))
        })
        .collect();
    let default_cap = CacheConfig::default().max_query_entries_per_kind;
    println!("{queries} distinct list queries of one kind, {WORKERS} at a time");
    println!("| entry | cap | entries left | used_memory before | after | growth | of which the index | fills/s | µs per script |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for bytes in sizes {
        for (cap, label) in [
            (default_cap, format!("{default_cap}")),
            (usize::MAX, "none".to_owned()),
        ] {
            let run = flood(queries, bytes, cap).await;
            println!(
                "| {bytes} B | {label} | {} | {} | {} | {} | {} | {:.0} | {:.1} |",
                run.entries,
                mib(run.before),
                mib(run.after),
                mib(run.after.saturating_sub(run.before)),
                mib(run.index),
                run.fills_per_second,
                run.script_micros,
            );
            assert_eq!(
                run.entries,
                queries.min(cap) as u64,
                "entries left with a cap of {label}"
            );
        }
    }
}
