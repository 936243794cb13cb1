//! Counters of what the cache did, and the [`MetricsSnapshot`] the HTTP layer exports.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::breaker::CircuitState;
use crate::latency::{Latencies, OperationLatencies};

/// The cache's counters at one moment. Counters only grow; gauges (`l1_*`, `circuit`,
/// `subscribed`) are current values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MetricsSnapshot {
    /// Lookups answered by L1.
    pub l1_hits: u64,
    /// Lookups L1 could not answer.
    pub l1_misses: u64,
    /// L1 misses answered by Redis.
    pub l2_hits: u64,
    /// L1 misses Redis could not answer either (Redis skipped or failed: not counted).
    pub l2_misses: u64,
    /// Loader calls (one per single flight).
    pub loads: u64,
    /// Fills stored in Redis.
    pub fills: u64,
    /// Fills refused because a newer tombstone, generation or token was recorded since the
    /// miss (stale sets prevented), in either tier.
    pub fills_refused: u64,
    /// Invalidations this instance wrote to Redis and published.
    pub invalidations_sent: u64,
    /// Invalidations received from other instances and applied to L1.
    pub invalidations_received: u64,
    /// Invalidations queued for replay because Redis was unreachable.
    pub invalidations_queued: u64,
    /// Invalidations dropped because the replay queue was full.
    pub invalidations_dropped: u64,
    /// Queued invalidations the background replay wrote to Redis and published.
    pub invalidations_replayed: u64,
    /// L1 entries evicted for space.
    pub l1_evictions: u64,
    /// List and statistics entries this instance deleted from Redis to keep their kind within
    /// [`CacheConfig::max_query_entries_per_kind`](crate::CacheConfig::max_query_entries_per_kind).
    pub l2_evictions: u64,
    /// L1 entries that expired.
    pub l1_expirations: u64,
    /// Times L1 was flushed (the invalidation channel reconnected).
    pub l1_flushes: u64,
    /// Redis commands that failed or timed out.
    pub redis_errors: u64,
    /// Times the circuit breaker opened.
    pub circuit_opens: u64,
    /// Warming runs completed.
    pub warm_runs: u64,
    /// Entries loaded by warming jobs.
    pub warmed: u64,
    /// L1 entries (approximate until pending tasks run).
    pub l1_entries: u64,
    /// L1 weighted size in bytes (approximate until pending tasks run).
    pub l1_bytes: u64,
    /// The circuit breaker's state (`closed` when there is no Redis).
    pub circuit: CircuitState,
    /// Whether the invalidation channel is subscribed (`true` when there is no Redis).
    pub subscribed: bool,
    /// How long each operation of each tier took (histograms; they only grow).
    pub latency: OperationLatencies,
}

impl MetricsSnapshot {
    /// Hits over lookups, both tiers: `(l1_hits + l2_hits) / (l1_hits + l1_misses)`.
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.l1_hits + self.l1_misses;
        if lookups == 0 {
            return 0.0;
        }
        (self.l1_hits + self.l2_hits) as f64 / lookups as f64
    }
}

/// One counter per event; shared by every part of the cache.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) l1_hits: Counter,
    pub(crate) l1_misses: Counter,
    pub(crate) l2_hits: Counter,
    pub(crate) l2_misses: Counter,
    pub(crate) loads: Counter,
    pub(crate) fills: Counter,
    pub(crate) fills_refused: Counter,
    pub(crate) invalidations_sent: Counter,
    pub(crate) invalidations_received: Counter,
    pub(crate) invalidations_queued: Counter,
    pub(crate) invalidations_dropped: Counter,
    pub(crate) invalidations_replayed: Counter,
    pub(crate) l1_evictions: Counter,
    pub(crate) l2_evictions: Counter,
    pub(crate) l1_expirations: Counter,
    pub(crate) l1_flushes: Counter,
    pub(crate) redis_errors: Counter,
    pub(crate) circuit_opens: Counter,
    pub(crate) warm_runs: Counter,
    pub(crate) warmed: Counter,
    pub(crate) latency: Latencies,
}

/// A relaxed atomic counter.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub(crate) fn incr(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current count.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The gauges a snapshot reads from elsewhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gauges {
    pub(crate) l1_entries: u64,
    pub(crate) l1_bytes: u64,
    pub(crate) circuit: CircuitState,
    pub(crate) subscribed: bool,
}

impl Metrics {
    /// The counters now, with the given gauges.
    pub(crate) fn snapshot(&self, gauges: Gauges) -> MetricsSnapshot {
        MetricsSnapshot {
            l1_hits: self.l1_hits.get(),
            l1_misses: self.l1_misses.get(),
            l2_hits: self.l2_hits.get(),
            l2_misses: self.l2_misses.get(),
            loads: self.loads.get(),
            fills: self.fills.get(),
            fills_refused: self.fills_refused.get(),
            invalidations_sent: self.invalidations_sent.get(),
            invalidations_received: self.invalidations_received.get(),
            invalidations_queued: self.invalidations_queued.get(),
            invalidations_dropped: self.invalidations_dropped.get(),
            invalidations_replayed: self.invalidations_replayed.get(),
            l1_evictions: self.l1_evictions.get(),
            l2_evictions: self.l2_evictions.get(),
            l1_expirations: self.l1_expirations.get(),
            l1_flushes: self.l1_flushes.get(),
            redis_errors: self.redis_errors.get(),
            circuit_opens: self.circuit_opens.get(),
            warm_runs: self.warm_runs.get(),
            warmed: self.warmed.get(),
            l1_entries: gauges.l1_entries,
            l1_bytes: gauges.l1_bytes,
            circuit: gauges.circuit,
            subscribed: gauges.subscribed,
            latency: self.latency.snapshot(),
        }
    }
}
