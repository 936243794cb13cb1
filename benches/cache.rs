//! Criterion benches of `campushub-cache` and of the entity service through it: L1 hit, miss +
//! fill, invalidate (L1 only); service retrieve cached (L1) vs uncached (`NoCache`) and a cached
//! list page of 50; and, when `CAMPUSHUB_TEST_REDIS` is set, L2 hit, invalidate and a cached
//! retrieve through Redis.
//!
//! Run: `cargo bench --bench cache --features cache` (for the Redis benches, first
//! `scripts/services.sh start` and source its env file).

mod support;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use campushub::cache::{CacheConfig, TieredCache};
use campushub::core::cache::{LoadFuture, Loader};
use campushub::core::{
    Cache, CacheKey, CachedValue, ChangeEvent, ChangeOp, EntityKind, NoCache, ReadOptions,
};
use criterion::{criterion_main, Criterion};
use support::{admin, runtime, timed, Campus};
use uuid::Uuid;

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
        actor: None,
        request_id: None,
    }
}

fn l1(c: &mut Criterion) {
    let rt = runtime();
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let key = record(Uuid::new_v4());
    rt.block_on(cache.get_or_load(&key, None, loader()))
        .expect("fill");

    c.bench_function("cache/l1_hit", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| async {
                black_box(cache.get_or_load(&key, None, loader()).await.expect("hit"));
            })
        })
    });

    c.bench_function("cache/l1_hit_get_fresh", |b| {
        b.iter(|| black_box(cache.get_fresh(black_box(&key), None).expect("hit")))
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
                    black_box(fresh.get_or_load(&key, None, loader()).await.expect("fill"));
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
    rt.block_on(cache.get_or_load(&key, None, loader()))
        .expect("fill");

    c.bench_function("cache/l2_hit (incl. L1 flush)", |b| {
        b.iter_custom(|iters| {
            timed(&rt, iters, |_| async {
                cache.flush_l1();
                black_box(cache.get_or_load(&key, None, loader()).await.expect("hit"));
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
    let campus = rt.block_on(Campus::seed(Arc::new(cache.clone())));
    retrieve(c, &rt, "service/retrieve_cached_l1_redis", &campus);

    let metrics = cache.metrics();
    assert_eq!(metrics.redis_errors, 0, "Redis failed during the bench");
}

/// Retrieves through the service, cycling over the seeded students.
fn retrieve(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, campus: &Campus) {
    let principal = admin();
    let read = ReadOptions::default();
    let ids = &campus.student_ids;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            timed(rt, iters, |i| {
                let id = ids[(i as usize) % ids.len()];
                let (principal, read) = (&principal, &read);
                async move {
                    let fetched = campus.students.retrieve(principal, id, read).await;
                    black_box(fetched.expect("a seeded student"));
                }
            })
        })
    });
}

/// The entity service over the in-memory store: cached (L1) vs uncached, and a list page.
fn service(c: &mut Criterion) {
    let rt = runtime();
    let cache = TieredCache::l1_only(CacheConfig::default()).expect("config");
    let cached = rt.block_on(Campus::seed(Arc::new(cache)));
    let uncached = rt.block_on(Campus::seed(Arc::new(NoCache)));
    retrieve(c, &rt, "service/retrieve_cached_l1", &cached);
    retrieve(c, &rt, "service/retrieve_uncached", &uncached);

    let principal = admin();
    let read = ReadOptions::default();
    let params = vec![("page_size".to_owned(), "50".to_owned())];
    for (name, campus) in [
        ("service/list_50_cached_l1", &cached),
        ("service/list_50_uncached", &uncached),
    ] {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed(&rt, iters, |_| async {
                    let listed = campus.students.list(&principal, &params, &read).await;
                    black_box(listed.expect("a page"));
                })
            })
        });
    }
}

/// Every suite of this bench (what `criterion_group!` would generate, documented).
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    l1(&mut criterion);
    service(&mut criterion);
    l2(&mut criterion);
}

criterion_main!(benches);
