//! The two text formats `/metrics` speaks, chosen from the scraper's `Accept` header.

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

/// An exposition format of [`crate::HttpMetrics::encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposition {
    /// The Prometheus text format 0.0.4: what a client that does not ask for OpenMetrics
    /// gets (curl, older scrapers).
    Prometheus,
    /// OpenMetrics 1.0 text (`# UNIT` lines, `# EOF`): what Prometheus asks for first.
    OpenMetrics,
}

impl Exposition {
    /// OpenMetrics when `accept` lists `application/openmetrics-text` with a non-zero
    /// quality, else the Prometheus text format.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let asks_openmetrics = accept.is_some_and(|accept| {
            accept.split(',').any(|range| {
                let mut parts = range.split(';').map(str::trim);
                let media = parts.next().unwrap_or_default();
                media.eq_ignore_ascii_case("application/openmetrics-text")
                    && parts
                        .filter_map(|p| p.strip_prefix("q="))
                        .all(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0))
            })
        });
        if asks_openmetrics {
            Exposition::OpenMetrics
        } else {
            Exposition::Prometheus
        }
    }

    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Exposition::Prometheus => prometheus_text::CONTENT_TYPE,
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// Appends `registry` to `out` in this format (OpenMetrics ends with `# EOF`).
    pub(crate) fn encode(self, out: &mut String, registry: &Registry) -> std::fmt::Result {
        match self {
            Exposition::Prometheus => prometheus_text::encode(out, registry),
            Exposition::OpenMetrics => text::encode(out, registry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_default_accept_header_gets_openmetrics() {
        let scraper = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(
            Exposition::negotiate(Some(scraper)),
            Exposition::OpenMetrics
        );
    }

    #[test]
    fn anything_else_gets_the_prometheus_text_format() {
        for accept in [
            None,
            Some("*/*"),
            Some("text/plain; version=0.0.4"),
            Some("application/openmetrics-text; q=0"),
        ] {
            assert_eq!(
                Exposition::negotiate(accept),
                Exposition::Prometheus,
                "{accept:?}"
            );
        }
    }
}
