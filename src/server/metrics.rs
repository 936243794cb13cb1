//! `/metrics` sources: statements, errors, health and lag of every database pool, and the
//! cache's counters per tier.

use super::storage::Storage;
use crate::cache::TieredCache;
use crate::http::{MetricType, MetricsSource, Sample};
use crate::sqlx::PoolStats;

/// One sample of family `name`.
pub(super) fn sample(
    name: &str,
    help: &str,
    metric_type: MetricType,
    labels: &[(&str, &str)],
    value: f64,
) -> Sample {
    Sample {
        name: name.to_owned(),
        help: help.to_owned(),
        metric_type,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        value,
    }
}

/// The database pools' counters.
pub(super) struct PoolMetrics(pub Storage);

const STATEMENTS: (&str, &str) = ("campushub_db_statements_total", "Statements sent, by pool.");
const ERRORS: (&str, &str) = ("campushub_db_errors_total", "Statements that failed.");
const READS: (&str, &str) = ("campushub_db_reads_total", "Reads served, by pool.");
const RETRIES: (&str, &str) = ("campushub_db_retries_total", "Reads retried elsewhere.");
const EJECTIONS: (&str, &str) = ("campushub_db_ejections_total", "Times out of rotation.");
const HEALTHY: (&str, &str) = (
    "campushub_db_pool_healthy",
    "1 when the pool is in rotation.",
);
const LAG: (&str, &str) = ("campushub_replica_lag_seconds", "Lag as last measured.");

impl MetricsSource for PoolMetrics {
    fn samples(&self) -> Vec<Sample> {
        use MetricType::{Counter, Gauge};
        let pools = self.0.stats();
        type Read = fn(&PoolStats) -> f64;
        let families: [((&str, &str), MetricType, Read); 6] = [
            (STATEMENTS, Counter, |p| p.statements as f64),
            (ERRORS, Counter, |p| p.errors as f64),
            (READS, Counter, |p| p.reads as f64),
            (RETRIES, Counter, |p| p.retries as f64),
            (EJECTIONS, Counter, |p| p.ejections as f64),
            (HEALTHY, Gauge, |p| f64::from(u8::from(p.healthy))),
        ];
        let mut samples = Vec::new();
        for ((name, help), metric_type, read) in families {
            for pool in &pools {
                samples.push(sample(
                    name,
                    help,
                    metric_type,
                    &[("pool", &pool.name)],
                    read(pool),
                ));
            }
        }
        for pool in pools.iter().filter(|p| p.name.starts_with("replica")) {
            samples.push(sample(
                LAG.0,
                LAG.1,
                Gauge,
                &[("pool", &pool.name)],
                pool.lag_micros as f64 / 1e6,
            ));
        }
        samples
    }
}

/// The cache's counters.
pub(super) struct CacheMetrics(pub TieredCache);

const HITS: (&str, &str) = ("campushub_cache_hits_total", "Cache hits, by tier.");
const MISSES: (&str, &str) = ("campushub_cache_misses_total", "Cache misses, by tier.");
const LOADS: (&str, &str) = ("campushub_cache_loads_total", "Loads after a miss.");
const FILLS: (&str, &str) = ("campushub_cache_fills_total", "Values stored after a load.");
const REFUSED: (&str, &str) = (
    "campushub_cache_fills_refused_total",
    "Fills refused because a newer write was seen.",
);
const INVALIDATIONS: (&str, &str) = (
    "campushub_cache_invalidations_total",
    "Invalidations sent to and received from other instances, queued while Redis was unreachable, replayed after, and dropped (queue full).",
);
const EVICTIONS: (&str, &str) = ("campushub_cache_evictions_total", "L1 evictions.");
const REDIS_ERRORS: (&str, &str) = ("campushub_cache_redis_errors_total", "Redis failures.");
const WARM_RUNS: (&str, &str) = ("campushub_cache_warm_runs_total", "Warmer runs.");
const WARMED: (&str, &str) = ("campushub_cache_warmed_total", "Entries the warmer loaded.");
const ENTRIES: (&str, &str) = ("campushub_cache_l1_entries", "Entries in L1.");
const BYTES: (&str, &str) = ("campushub_cache_l1_bytes", "Weighted size of L1 in bytes.");
const RATIO: (&str, &str) = (
    "campushub_cache_hit_ratio",
    "Hits over lookups since start.",
);

impl MetricsSource for CacheMetrics {
    fn samples(&self) -> Vec<Sample> {
        use MetricType::{Counter, Gauge};
        let m = self.0.metrics();
        let rows = [
            (HITS, Counter, ("tier", "l1"), m.l1_hits as f64),
            (HITS, Counter, ("tier", "l2"), m.l2_hits as f64),
            (MISSES, Counter, ("tier", "l1"), m.l1_misses as f64),
            (MISSES, Counter, ("tier", "l2"), m.l2_misses as f64),
            (LOADS, Counter, ("", ""), m.loads as f64),
            (FILLS, Counter, ("", ""), m.fills as f64),
            (REFUSED, Counter, ("", ""), m.fills_refused as f64),
            (
                INVALIDATIONS,
                Counter,
                ("direction", "sent"),
                m.invalidations_sent as f64,
            ),
            (
                INVALIDATIONS,
                Counter,
                ("direction", "received"),
                m.invalidations_received as f64,
            ),
            (
                INVALIDATIONS,
                Counter,
                ("direction", "queued"),
                m.invalidations_queued as f64,
            ),
            (
                INVALIDATIONS,
                Counter,
                ("direction", "replayed"),
                m.invalidations_replayed as f64,
            ),
            (
                INVALIDATIONS,
                Counter,
                ("direction", "dropped"),
                m.invalidations_dropped as f64,
            ),
            (EVICTIONS, Counter, ("", ""), m.l1_evictions as f64),
            (REDIS_ERRORS, Counter, ("", ""), m.redis_errors as f64),
            (WARM_RUNS, Counter, ("", ""), m.warm_runs as f64),
            (WARMED, Counter, ("", ""), m.warmed as f64),
            (ENTRIES, Gauge, ("", ""), m.l1_entries as f64),
            (BYTES, Gauge, ("", ""), m.l1_bytes as f64),
            (RATIO, Gauge, ("", ""), m.hit_ratio()),
        ];
        rows.into_iter()
            .map(|((name, help), metric_type, label, value)| {
                let labels: &[(&str, &str)] = if label.0.is_empty() { &[] } else { &[label] };
                sample(name, help, metric_type, labels, value)
            })
            .collect()
    }
}
