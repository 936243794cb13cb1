//! [`AtomicHistogram`]: the request latency histogram, a prometheus-client metric whose
//! observations are relaxed atomic adds. prometheus-client's own `Histogram` takes a mutex
//! per observation, which measured about 3 % on the in-process `/healthz` bench (see
//! `docs/performance.md`); every request observes one, so this one takes no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the request latency histogram's buckets, in seconds. `0.2` is the
/// latency alert's threshold (`deploy/prometheus/alerts.yml`): a bound there makes the
/// 95th percentile's comparison with it exact rather than interpolated.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A fixed-bucket histogram of [`LATENCY_BUCKETS`] (clones share the counts).
#[derive(Clone, Debug, Default)]
pub(crate) struct AtomicHistogram(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    count: AtomicU64,
    micros: AtomicU64,
    /// Per bucket alone (not cumulative); slower requests are only in `count`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
}

impl AtomicHistogram {
    /// Records one request that took `elapsed`.
    pub(crate) fn observe(&self, elapsed: Duration) {
        let counts = &self.0;
        counts.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        counts.micros.fetch_add(micros, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|le| seconds <= *le) {
            counts.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> std::fmt::Result {
        let counts = &self.0;
        let mut buckets: Vec<(f64, u64)> = LATENCY_BUCKETS
            .iter()
            .zip(&counts.buckets)
            .map(|(le, n)| (*le, n.load(Ordering::Relaxed)))
            .collect();
        // Read last: a request counted between the loads lands in `count` without its
        // bucket, never in a bucket above `count`.
        let count = counts.count.load(Ordering::Relaxed);
        let sum = counts.micros.load(Ordering::Relaxed) as f64 / 1e6;
        with_overflow(&mut buckets, count);
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// Appends the `+Inf` bucket (what `count` holds beyond the bounded buckets): the OpenMetrics
/// encoder writes only the buckets it is given.
pub(crate) fn with_overflow(buckets: &mut Vec<(f64, u64)>, count: u64) {
    let bounded: u64 = buckets.iter().map(|(_, n)| n).sum();
    buckets.push((f64::INFINITY, count.saturating_sub(bounded)));
}
