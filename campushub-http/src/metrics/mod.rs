//! Request metrics through the official Prometheus client,
//! [`prometheus_client`]: a request count and a latency histogram by route template and
//! status, plus the sources an application adds (cache tiers, statements per pool, replica
//! lag), served on `/metrics` as OpenMetrics to scrapers that ask for it and in the Prometheus
//! text format (0.0.4) otherwise.
//!
//! The hot path takes no lock for the routes known when the layer is built: each route's
//! series are found through an immutable map, each status's counter and histogram are
//! reached through a `OnceLock` once made, and both record with relaxed atomic adds (the
//! histogram is ours, encoded by prometheus-client: its own takes a mutex per observation,
//! see `histogram.rs`).

mod format;
mod histogram;
mod layer;
mod registry;
mod route;
mod source;

pub use format::Exposition;
pub use histogram::LATENCY_BUCKETS;
pub use layer::{MetricsFuture, MetricsLayer, MetricsService};
/// A source of metrics read at each scrape (cache tiers, pools, replica lag): a
/// prometheus-client [`Collector`](prometheus_client::collector::Collector), added with
/// [`crate::ApiState::metrics_source`] or [`HttpMetrics::add_source`]. Its `encode` writes
/// families through the encoder it is given; [`encode_counters`], [`encode_gauges`] and
/// [`encode_histograms`] write one family from values read from a snapshot.
pub use prometheus_client::collector::Collector as MetricsSource;
pub use registry::HttpMetrics;
pub use route::{route_label, UNMATCHED};
pub use source::{encode_counters, encode_gauges, encode_histograms, HistogramValues};

pub(crate) mod endpoint;
