//! Helpers for metric sources read at scrape time: a [`Collector`](prometheus_client::collector::Collector)
//! that reads a snapshot (cache tiers, pools) writes each family with one call.

use prometheus_client::encoding::{
    DescriptorEncoder, EncodeGaugeValue, EncodeLabelSet, EncodeMetric, NoLabelSet,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::histogram::with_overflow;

/// A histogram as read from lock-free counters: what
/// [`prometheus_client::encoding::MetricEncoder::encode_histogram`] takes.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramValues {
    /// The sum of the observations.
    pub sum: f64,
    /// The number of observations (the `+Inf` bucket).
    pub count: u64,
    /// `(upper bound, observations in this bucket alone)`, ascending; observations above the
    /// last bound are only in `count`.
    pub buckets: Vec<(f64, u64)>,
}

/// Writes the counter family `name` (without `_total`, which the encoder adds): one sample per
/// label set.
pub fn encode_counters<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, u64)>,
) -> std::fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in samples {
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Writes the gauge family `name` (with `unit` appended to it when given): one sample per
/// label set.
pub fn encode_gauges<L: EncodeLabelSet, V: EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    samples: impl IntoIterator<Item = (L, V)>,
) -> std::fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (labels, value) in samples {
        ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// Writes the histogram family `name` (with `unit` appended to it when given): one histogram
/// per label set.
pub fn encode_histograms<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    samples: impl IntoIterator<Item = (L, HistogramValues)>,
) -> std::fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, unit, MetricType::Histogram)?;
    for (labels, mut values) in samples {
        with_overflow(&mut values.buckets, values.count);
        family
            .encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(values.sum, values.count, &values.buckets, None)?;
    }
    Ok(())
}
