//! A deterministic hit-ratio simulation: Zipf(1.0) reads over 100,000 students, L1 sized to
//! 10% of them, Redis as the unbounded L2, 1% writes.
//!
//! Three phases: a cold start (reported only: with 100,000 ids and a Zipf tail, first reads
//! dominate any finite cold run), a warmer run that loads every student (as a deployment's
//! warmer would), then the measured phase, whose ratio is asserted.

use std::sync::Arc;
use std::sync::Mutex;

use bytes::Bytes;
use campushub_cache::{CacheConfig, TieredCache, Warmer};
use campushub_core::cache::{LoadFuture, Loader};
use campushub_core::{Cache, CachedValue, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{config, event, namespace, record, redis_url, SplitMix};

const STUDENTS: usize = 100_000;
const COLD: usize = 50_000;
const MEASURED: usize = 200_000;
const VALUE_BYTES: usize = 200;

/// Samples ranks 0..n with probability proportional to 1/(rank+1).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.into_iter().map(|c| c / total).collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut SplitMix) -> usize {
        let u = rng.unit();
        self.cumulative
            .partition_point(|&c| c < u)
            .min(self.cumulative.len() - 1)
    }
}

fn loader(versions: &Arc<Mutex<Vec<i64>>>, student: usize) -> Loader<'static> {
    let versions = Arc::clone(versions);
    Box::new(move |_| -> LoadFuture<'static> {
        let version = versions.lock().map_or(1, |v| v[student]);
        let json = Bytes::from(format!(
            "{{\"v\":{version},\"pad\":\"{}\"}}",
            "x".repeat(VALUE_BYTES)
        ));
        Box::pin(async move { Ok(Some(CachedValue::from_json(json, version))) })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zipf_hit_ratio_with_l1_at_ten_percent() {
    let ns = namespace();
    // Each entry weighs about its JSON, its key and the per-entry overhead.
    let entry_weight = (VALUE_BYTES + 32 + 16 + 7 + 96) as u64;
    let cache = TieredCache::connect(
        CacheConfig {
            l1_max_bytes: entry_weight * (STUDENTS as u64 / 10),
            ..config(&ns)
        },
        &redis_url(),
        std::time::Duration::from_secs(5),
    )
    .await
    .expect("config");
    let ids: Vec<Uuid> = (0..STUDENTS)
        .map(|i| Uuid::from_u128(i as u128 + 1))
        .collect();
    let versions = Arc::new(Mutex::new(vec![1_i64; STUDENTS]));
    let zipf = Zipf::new(STUDENTS);
    let mut rng = SplitMix(0x5eed);
    let mut run = |requests: usize| {
        let mut ops = Vec::with_capacity(requests);
        for _ in 0..requests {
            let student = zipf.sample(&mut rng);
            ops.push((student, rng.unit() < 0.01));
        }
        ops
    };
    let cold = run(COLD);
    let measured = run(MEASURED);
    let mut before = cache.metrics();
    for (phase, ops) in [("cold", cold), ("measured", measured)] {
        for (student, write) in ops {
            let key = record(EntityKind::STUDENT, ids[student]);
            if write {
                let version = {
                    let mut versions = versions.lock().expect("versions");
                    versions[student] += 1;
                    versions[student]
                };
                cache
                    .invalidate(&event(
                        EntityKind::STUDENT,
                        ids[student],
                        ChangeOp::Updated,
                        version,
                        0,
                    ))
                    .await;
            } else {
                cache
                    .get_or_load(&key, None, loader(&versions, student))
                    .await
                    .expect("read");
            }
        }
        if phase == "cold" {
            println!(
                "hit ratio from a cold start ({COLD} requests): {:.2}%",
                cache.metrics().hit_ratio() * 100.0
            );
            let (all, job_versions) = (ids.clone(), Arc::clone(&versions));
            let warmer = Warmer::new(cache.clone()).job_fn("all students", move |cache| {
                let (all, versions) = (all.clone(), Arc::clone(&job_versions));
                Box::pin(async move {
                    // 64 loads at a time, as a warmer over a connection pool would.
                    for chunk in all.chunks(64).enumerate() {
                        let (first, ids) = chunk;
                        let mut loads = tokio::task::JoinSet::new();
                        for (offset, id) in ids.iter().enumerate() {
                            let (cache, versions) = (Arc::clone(&cache), Arc::clone(&versions));
                            let (key, student) =
                                (record(EntityKind::STUDENT, *id), first * 64 + offset);
                            loads.spawn(async move {
                                cache
                                    .get_or_load(&key, None, loader(&versions, student))
                                    .await
                                    .map(|_| ())
                            });
                        }
                        while let Some(done) = loads.join_next().await {
                            done.map_err(|e| campushub_core::Error::internal("warm task", e))??;
                        }
                    }
                    Ok(all.len() as u64)
                })
            });
            assert_eq!(warmer.run_once().await, STUDENTS as u64);
            cache.run_pending_tasks().await;
            before = cache.metrics();
        }
    }
    let after = cache.metrics();
    let l1_hits = after.l1_hits - before.l1_hits;
    let lookups = l1_hits + after.l1_misses - before.l1_misses;
    let l2_hits = after.l2_hits - before.l2_hits;
    let ratio = (l1_hits + l2_hits) as f64 / lookups as f64;
    println!(
        "hit ratio after warming ({lookups} reads): {:.2}% overall, L1 {:.2}%, L2 {:.2}% of reads",
        ratio * 100.0,
        l1_hits as f64 / lookups as f64 * 100.0,
        l2_hits as f64 / lookups as f64 * 100.0,
    );
    assert!(ratio >= 0.95, "hit ratio {ratio:.4} below the 95% target");
}
