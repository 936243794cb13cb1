//! Request metrics in the Prometheus text format: a request count and a latency histogram
//! (explicit buckets) by route template and status, plus pluggable extra sources (cache tiers,
//! statements per pool, replica lag).
//!
//! The hot path is lock-free for the routes known when the layer is built: each has its
//! atomics registered up front, found through an immutable map.

mod layer;
mod registry;
mod source;

pub use layer::{MetricsLayer, MetricsService};
pub use registry::{route_label, HttpMetrics, LATENCY_BUCKETS, UNMATCHED};
pub use source::{MetricType, MetricsSource, Sample};

pub(crate) mod endpoint;
