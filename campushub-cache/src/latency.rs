//! Lock-free latency histograms of the cache's operations per tier, read as
//! [`LatencySnapshot`]s (the HTTP layer turns them into Prometheus histograms; this crate
//! stays free of any metrics library).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Upper bounds of the latency buckets, in seconds: from a quarter microsecond (an L1 hit) to
/// a second (a Redis call at its timeout).
pub const LATENCY_BUCKETS: [f64; 20] = [
    0.000_000_25,
    0.000_000_5,
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
];

/// [`LATENCY_BUCKETS`] in nanoseconds, for the hot path's integer comparison.
const BOUNDS_NANOS: [u64; LATENCY_BUCKETS.len()] = [
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    1_000_000_000,
];

/// One operation's latencies at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct LatencySnapshot {
    /// Operations timed.
    pub count: u64,
    /// Their total time in nanoseconds.
    pub sum_nanos: u64,
    /// Per bound of [`LATENCY_BUCKETS`], the operations that took at most it and more than the
    /// bound before (not cumulative); slower ones are only in `count`.
    pub buckets: [u64; LATENCY_BUCKETS.len()],
}

impl LatencySnapshot {
    /// The total time in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_nanos as f64 / 1e9
    }
}

/// The latencies of every timed operation, by tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OperationLatencies {
    /// L1 lookups (hits and misses).
    pub l1_get: LatencySnapshot,
    /// L1 fills (after a load, an L2 hit, or a write).
    pub l1_set: LatencySnapshot,
    /// L1 invalidations after a write (the tombstone and the generation bumps).
    pub l1_invalidate: LatencySnapshot,
    /// Redis lookups after an L1 miss.
    pub l2_get: LatencySnapshot,
    /// Redis fills.
    pub l2_set: LatencySnapshot,
    /// Redis invalidations after a write (tombstone, bumps, publish).
    pub l2_invalidate: LatencySnapshot,
}

impl OperationLatencies {
    /// `(tier, operation, latencies)` for each timed operation: `l1`/`l2` and
    /// `get`/`set`/`invalidate`.
    pub fn by_tier(&self) -> [(&'static str, &'static str, &LatencySnapshot); 6] {
        [
            ("l1", "get", &self.l1_get),
            ("l1", "set", &self.l1_set),
            ("l1", "invalidate", &self.l1_invalidate),
            ("l2", "get", &self.l2_get),
            ("l2", "set", &self.l2_set),
            ("l2", "invalidate", &self.l2_invalidate),
        ]
    }
}

/// A fixed-bucket histogram of relaxed atomics: recording takes no lock.
#[derive(Debug, Default)]
pub(crate) struct Latency {
    count: AtomicU64,
    sum_nanos: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
}

impl Latency {
    /// Records the time since `started`.
    pub(crate) fn since(&self, started: Instant) {
        self.record(started.elapsed());
    }

    /// Records one operation that took `elapsed`.
    pub(crate) fn record(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        if let Some(bucket) = BOUNDS_NANOS.iter().position(|le| nanos <= *le) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counts now.
    pub(crate) fn snapshot(&self) -> LatencySnapshot {
        LatencySnapshot {
            count: self.count.load(Ordering::Relaxed),
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
        }
    }
}

/// One [`Latency`] per timed operation.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    pub(crate) l1_get: Latency,
    pub(crate) l1_set: Latency,
    pub(crate) l1_invalidate: Latency,
    pub(crate) l2_get: Latency,
    pub(crate) l2_set: Latency,
    pub(crate) l2_invalidate: Latency,
}

impl Latencies {
    pub(crate) fn snapshot(&self) -> OperationLatencies {
        OperationLatencies {
            l1_get: self.l1_get.snapshot(),
            l1_set: self.l1_set.snapshot(),
            l1_invalidate: self.l1_invalidate.snapshot(),
            l2_get: self.l2_get.snapshot(),
            l2_set: self.l2_set.snapshot(),
            l2_invalidate: self.l2_invalidate.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nanosecond_bounds_are_the_published_ones() {
        for (nanos, seconds) in BOUNDS_NANOS.iter().zip(LATENCY_BUCKETS) {
            assert!(
                (*nanos as f64 / 1e9 - seconds).abs() < 1e-12,
                "{nanos} vs {seconds}"
            );
        }
    }

    #[test]
    fn each_observation_lands_in_the_first_bucket_that_holds_it() {
        let latency = Latency::default();
        latency.record(Duration::from_nanos(250));
        latency.record(Duration::from_nanos(251));
        latency.record(Duration::from_secs(5));
        let snapshot = latency.snapshot();
        assert_eq!(snapshot.count, 3);
        assert_eq!(snapshot.buckets[0], 1);
        assert_eq!(snapshot.buckets[1], 1);
        assert_eq!(
            snapshot.buckets.iter().sum::<u64>(),
            2,
            "5 s is only in count"
        );
        assert_eq!(snapshot.sum_nanos, 5_000_000_501);
    }
}
