//! `/metrics` sources read at each scrape: statements, errors, health, lag and saturation of
//! every database pool, and the cache's counters and operation latencies per tier.

use super::storage::Storage;
use crate::cache::{CircuitState, LatencySnapshot, TieredCache, LATENCY_BUCKETS};
use crate::http::metrics::{encode_counters, encode_gauges, encode_histograms, HistogramValues};
use crate::http::prometheus_client::collector::Collector;
use crate::http::prometheus_client::encoding::DescriptorEncoder;
use crate::http::prometheus_client::registry::Unit;
use crate::sqlx::{PoolStats, RelayStats};

/// The labels of a pool's samples.
fn by_pool(pool: &PoolStats) -> Labels<'_> {
    vec![("pool", pool.name.as_str())]
}

/// The label set of one sample: `[]` or `[("tier", "l1")]`.
type Labels<'a> = Vec<(&'static str, &'a str)>;

/// One family read from a snapshot: name, help, and the value of each label set.
type Family<'a, V> = (&'static str, &'static str, Vec<(Labels<'a>, V)>);

/// The database pools' counters and gauges.
#[derive(Debug)]
pub(super) struct PoolMetrics(pub Storage);

/// Counter families of every pool: (name without `_total`, help, value).
type PoolCounter = (&'static str, &'static str, fn(&PoolStats) -> u64);
const POOL_COUNTERS: [PoolCounter; 6] = [
    (
        "campushub_db_statements",
        "Statements sent, by pool.",
        |p| p.statements,
    ),
    ("campushub_db_errors", "Statements that failed.", |p| {
        p.errors
    }),
    ("campushub_db_reads", "Reads served, by pool.", |p| p.reads),
    ("campushub_db_retries", "Reads retried elsewhere.", |p| {
        p.retries
    }),
    ("campushub_db_ejections", "Times out of rotation.", |p| {
        p.ejections
    }),
    (
        "campushub_db_slow_statements",
        "Statements slower than CAMPUSHUB_SLOW_STATEMENT.",
        |p| p.slow_statements,
    ),
];

impl Collector for PoolMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let pools = self.0.stats();
        for (name, help, read) in POOL_COUNTERS {
            let samples = pools.iter().map(|p| (by_pool(p), read(p)));
            encode_counters(&mut encoder, name, help, samples)?;
        }
        let healthy = pools.iter().map(|p| (by_pool(p), i64::from(p.healthy)));
        let help = "1 when the pool is in rotation.";
        encode_gauges(
            &mut encoder,
            "campushub_db_pool_healthy",
            help,
            None,
            healthy,
        )?;
        let connections = pools.iter().flat_map(|p| {
            let in_use = p.connections.saturating_sub(p.idle_connections);
            [
                (vec![("pool", p.name.as_str()), ("state", "in_use")], in_use),
                (
                    vec![("pool", p.name.as_str()), ("state", "idle")],
                    p.idle_connections,
                ),
            ]
        });
        let help = "Open connections, by pool and state (in_use, idle).";
        encode_gauges(
            &mut encoder,
            "campushub_db_pool_connections",
            help,
            None,
            connections,
        )?;
        let max = pools.iter().map(|p| (by_pool(p), p.max_connections));
        let help = "The most connections the pool opens.";
        encode_gauges(
            &mut encoder,
            "campushub_db_pool_max_connections",
            help,
            None,
            max,
        )?;
        // Replicas, and the analytics database while it is a standby of the primary.
        let replicas = pools.iter().filter(|p| p.follows_primary);
        let lag = replicas.map(|p| (by_pool(p), p.lag_micros as f64 / 1e6));
        let help = "Lag as last measured.";
        encode_gauges(
            &mut encoder,
            "campushub_replica_lag",
            help,
            Some(&Unit::Seconds),
            lag,
        )
    }
}

/// The cache's counters and latencies; with Redis configured, also whether its breaker is
/// open and whether the invalidation subscription is up (what the Redis alerts watch).
#[derive(Debug)]
pub(super) struct CacheMetrics {
    /// The cache.
    pub cache: TieredCache,
    /// Whether it has a Redis tier (`CAMPUSHUB_REDIS_URL`).
    pub redis: bool,
}

impl Collector for CacheMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let m = self.cache.metrics();
        let tier = |t| vec![("tier", t)];
        let none = Labels::new;
        let direction = |d| vec![("direction", d)];
        let counters: [Family<'_, u64>; 11] = [
            (
                "campushub_cache_hits",
                "Cache hits, by tier.",
                vec![(tier("l1"), m.l1_hits), (tier("l2"), m.l2_hits)],
            ),
            (
                "campushub_cache_misses",
                "Cache misses, by tier.",
                vec![(tier("l1"), m.l1_misses), (tier("l2"), m.l2_misses)],
            ),
            ("campushub_cache_loads", "Loads after a miss.", vec![(none(), m.loads)]),
            (
                "campushub_cache_fills",
                "Values stored after a load.",
                vec![(none(), m.fills)],
            ),
            (
                "campushub_cache_fills_refused",
                "Fills refused because a newer write was seen.",
                vec![(none(), m.fills_refused)],
            ),
            (
                "campushub_cache_invalidations",
                "Invalidations sent to and received from other instances, queued while Redis was unreachable, replayed after, and dropped (queue full).",
                vec![
                    (direction("sent"), m.invalidations_sent),
                    (direction("received"), m.invalidations_received),
                    (direction("queued"), m.invalidations_queued),
                    (direction("replayed"), m.invalidations_replayed),
                    (direction("dropped"), m.invalidations_dropped),
                ],
            ),
            (
                "campushub_cache_evictions",
                "Entries evicted, by tier: from L1 for space, from Redis for the per-kind cap on list and statistics entries (CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES).",
                vec![(tier("l1"), m.l1_evictions), (tier("l2"), m.l2_evictions)],
            ),
            (
                "campushub_cache_redis_errors",
                "Redis failures.",
                vec![(none(), m.redis_errors)],
            ),
            (
                "campushub_cache_circuit_opens",
                "Times the Redis circuit breaker opened.",
                vec![(none(), m.circuit_opens)],
            ),
            ("campushub_cache_warm_runs", "Warmer runs.", vec![(none(), m.warm_runs)]),
            (
                "campushub_cache_warmed",
                "Entries the warmer loaded.",
                vec![(none(), m.warmed)],
            ),
        ];
        for (name, help, samples) in counters {
            encode_counters(&mut encoder, name, help, samples)?;
        }
        let gauges: [(&str, &str, f64); 3] = [
            (
                "campushub_cache_l1_entries",
                "Entries in L1.",
                m.l1_entries as f64,
            ),
            (
                "campushub_cache_l1_bytes",
                "Weighted size of L1 in bytes.",
                m.l1_bytes as f64,
            ),
            (
                "campushub_cache_hit_ratio",
                "Hits over lookups since start.",
                m.hit_ratio(),
            ),
        ];
        for (name, help, value) in gauges {
            encode_gauges(&mut encoder, name, help, None, [(none(), value)])?;
        }
        if self.redis {
            let open = f64::from(u8::from(m.circuit != CircuitState::Closed));
            let subscribed = f64::from(u8::from(m.subscribed));
            let redis: [(&str, &str, f64); 2] = [
                (
                    "campushub_cache_circuit_open",
                    "1 while the Redis circuit breaker is open or probing: Redis is skipped.",
                    open,
                ),
                (
                    "campushub_cache_redis_subscribed",
                    "1 while the invalidation subscription to Redis is up.",
                    subscribed,
                ),
            ];
            for (name, help, value) in redis {
                encode_gauges(&mut encoder, name, help, None, [(none(), value)])?;
            }
        }
        let latencies = m
            .latency
            .by_tier()
            .map(|(tier, op, latency)| (vec![("tier", tier), ("op", op)], histogram(latency)));
        let help =
            "Time of one cache operation, by tier (l1, l2) and operation (get, set, invalidate).";
        let seconds = Some(&Unit::Seconds);
        encode_histograms(
            &mut encoder,
            "campushub_cache_operation_duration",
            help,
            seconds,
            latencies,
        )
    }
}

/// `latency` as the encoder takes a histogram.
fn histogram(latency: &LatencySnapshot) -> HistogramValues {
    HistogramValues {
        sum: latency.sum_seconds(),
        count: latency.count,
        buckets: LATENCY_BUCKETS.into_iter().zip(latency.buckets).collect(),
    }
}

/// The outbox relay's counters: what it delivered, its failed rounds, and how long the oldest
/// change waited (the alert to watch: a growing wait means invalidations are late).
#[derive(Debug)]
pub(super) struct OutboxMetrics(pub std::sync::Arc<RelayStats>);

impl Collector for OutboxMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let s = self.0.snapshot();
        let none = Labels::new;
        encode_counters(
            &mut encoder,
            "campushub_outbox_delivered",
            "Outbox changes this instance delivered to the cache and the outbox hooks.",
            [(none(), s.delivered)],
        )?;
        encode_counters(
            &mut encoder,
            "campushub_outbox_failed_rounds",
            "Relay rounds that failed; their changes wait for the next round.",
            [(none(), s.failed_rounds)],
        )?;
        encode_gauges(
            &mut encoder,
            "campushub_outbox_oldest_pending",
            "Age of the oldest change found by this instance's last relay round (0: none, or another instance relays).",
            Some(&Unit::Seconds),
            [(none(), s.oldest_pending_micros as f64 / 1e6)],
        )
    }
}
