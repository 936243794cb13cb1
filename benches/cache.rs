//! Criterion benches of `campushub-cache`: L1 hit, miss + fill, invalidate (L1 only), and,
//! when `CAMPUSHUB_TEST_REDIS` is set, L2 hit and invalidate through Redis.
//!
//! Run: `cargo bench --bench cache --features cache` (for the Redis benches, first
//! `scripts/services.sh start` and source its env file).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use campushub::cache::{CacheConfig, TieredCache};
use campushub::core::cache::{LoadFuture, Loader};
use campushub::core::{Cache, CacheKey, CachedValue, ChangeEvent, ChangeOp, EntityKind};
use criterion::{criterion_main, Criterion};
use uuid::Uuid;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn loader() -> Loader<'static> {
    Box::new(|_| -> LoadFuture<'static> {
        Box::pin(async {
            Ok(Some(CachedValue::from_json(
                Bytes::from_static(br#"{"id":"x","name":"Physics","code":"PHY"}"#),
                1,
            )))
        })
    })
}

fn record(id: Uuid) -> CacheKey {
    CacheKey::Entity {
        kind: EntityKind::DEPARTMENT,
        id,
    }
}

fn event(id: Uuid, version: i64) -> ChangeEvent {
    ChangeEvent {
        kind: EntityKind::DEPARTMENT,
        id,
        op: ChangeOp::Updated,
        version,
        token: None,
        embedded_in: &[EntityKind::STUDENT, EntityKind::FACULTY],
    }
}

/// Times `iters` sequential runs of `op` inside the runtime.
fn timed<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, mut op: F) -> Duration
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            op(i).await;
        }
        start.elapsed()
    })
}

fn l1(c: &mut Criterion) {
    let rt = runtime();
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let key = record(Uuid::new_v4());
    rt.block_on(cache.get_or_load(&key, loader()))
        .expect("fill");

    c.bench_function("cache/l1_hit", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| async {
                black_box(cache.get_or_load(&key, loader()).await.expect("hit"));
            })
        })
    });

    let next = AtomicU64::new(0);
    c.bench_function("cache/miss_and_fill_l1", |b| {
        b.iter_custom(|iters| {
            let fresh = TieredCache::l1_only(CacheConfig::default()).expect("config");
            timed(&rt, iters, |_| {
                let key = record(Uuid::from_u128(u128::from(
                    next.fetch_add(1, Ordering::Relaxed),
                )));
                let fresh = fresh.clone();
                async move {
                    black_box(fresh.get_or_load(&key, loader()).await.expect("fill"));
                }
            })
        })
    });

    let id = Uuid::new_v4();
    c.bench_function("cache/invalidate_l1", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                let cache = cache.clone();
                async move { cache.invalidate(&event(id, i as i64 + 2)).await }
            })
        })
    });
}

fn l2(c: &mut Criterion) {
    let Ok(url) = std::env::var("CAMPUSHUB_TEST_REDIS") else {
        eprintln!(
            "cache/l2_*: skipped (CAMPUSHUB_TEST_REDIS is not set: run `scripts/services.sh start` \
             and source its env file)"
        );
        return;
    };
    let rt = runtime();
    let namespace = format!("bench-{}", Uuid::new_v4().simple());
    let cache = rt
        .block_on(TieredCache::connect(
            CacheConfig::with_namespace(namespace),
            &url,
            Duration::from_secs(5),
        ))
        .expect("config");
    let key = record(Uuid::new_v4());
    rt.block_on(cache.get_or_load(&key, loader()))
        .expect("fill");

    c.bench_function("cache/l2_hit (incl. L1 flush)", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| async {
                cache.flush_l1();
                black_box(cache.get_or_load(&key, loader()).await.expect("hit"));
            })
        })
    });

    let id = Uuid::new_v4();
    c.bench_function("cache/invalidate_redis", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |i| {
                let cache = cache.clone();
                async move { cache.invalidate(&event(id, i as i64 + 2)).await }
            })
        })
    });
    let metrics = cache.metrics();
    assert_eq!(metrics.redis_errors, 0, "Redis failed during the bench");
}

/// Every suite of this bench (what `criterion_group!` would generate, documented).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    l1(&mut criterion);
    l2(&mut criterion);
}

criterion_main!(benches);
