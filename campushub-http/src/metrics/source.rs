//! Extra metric sources: anything that can describe itself as Prometheus samples (cache tiers,
//! statements per pool, replica lag).

use std::fmt::Write as _;

/// The Prometheus type of a sample's family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Only ever grows.
    Counter,
    /// Goes up and down.
    Gauge,
}

/// One sample: `name{labels} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric's name (`cache_hits_total`).
    pub name: String,
    /// What it counts.
    pub help: String,
    /// Counter or gauge.
    pub metric_type: MetricType,
    /// Label pairs (`[("tier", "l1")]`).
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

/// A source of metrics for `/metrics`. Implement [`MetricsSource::samples`], or
/// [`MetricsSource::render`] to write Prometheus text directly.
pub trait MetricsSource: Send + Sync + 'static {
    /// The current samples.
    fn samples(&self) -> Vec<Sample> {
        Vec::new()
    }

    /// Appends the samples to `out` in the Prometheus text format, one `# HELP`/`# TYPE`
    /// header per metric name.
    fn render(&self, out: &mut String) {
        let mut last: Option<String> = None;
        for sample in self.samples() {
            if last.as_deref() != Some(sample.name.as_str()) {
                let kind = match sample.metric_type {
                    MetricType::Counter => "counter",
                    MetricType::Gauge => "gauge",
                };
                let _ = writeln!(out, "# HELP {} {}", sample.name, sample.help);
                let _ = writeln!(out, "# TYPE {} {kind}", sample.name);
                last = Some(sample.name.clone());
            }
            out.push_str(&sample.name);
            if !sample.labels.is_empty() {
                out.push('{');
                for (index, (key, value)) in sample.labels.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    let value = value
                        .replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n");
                    let _ = write!(out, "{key}=\"{value}\"");
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", sample.value);
        }
    }
}
