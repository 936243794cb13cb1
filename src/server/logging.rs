//! Logging to stderr, filtered by `CAMPUSHUB_LOG` (`info`, `warn,campushub_sqlx=debug`), in
//! the format of `CAMPUSHUB_LOG_FORMAT`; and, when the `OTEL_*` variables ask for it, spans
//! exported as OpenTelemetry traces ([`super::traces`]).

use std::str::FromStr;

use tracing::Metadata;
use tracing_subscriber::filter::{filter_fn, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use super::traces::Traces;
use super::values::{error, ConfigError, LogFormat};

/// The target of the request span (`campushub-http`'s `request_span` module).
const REQUEST_SPAN_TARGET: &str = "campushub_http::request_span";

/// Installs the global subscriber: `filter` selects the events, `format` how they are
/// written; starts the trace exporter when the `OTEL_*` variables ask for it. The returned
/// [`Traces`], when there is one, is to be shut down before the process exits.
pub(super) fn init(filter: &str, format: LogFormat) -> Result<Option<Traces>, ConfigError> {
    let targets = Targets::from_str(filter).map_err(|e| {
        error(
            "CAMPUSHUB_LOG",
            format!("`{filter}` is not a filter such as `info` or `warn,sqlx=error`: {e}"),
        )
    })?;
    let traces = Traces::from_env(|name| std::env::var(name).ok())?;
    let logs = log_layer(targets, format);
    let registry = tracing_subscriber::registry().with(logs);
    let _ = match &traces {
        Some(traces) => {
            let spans = tracing_opentelemetry::layer()
                .with_tracer(traces.tracer())
                // No busy/idle time attributes: two clock reads per poll of every span.
                .with_tracked_inactivity(false)
                .with_filter(filter_fn(exported));
            registry.with(spans).try_init()
        }
        None => registry.try_init(),
    };
    Ok(traces)
}

/// The layer writing log lines to stderr.
fn log_layer(targets: Targets, format: LogFormat) -> Box<dyn Layer<Registry> + Send + Sync> {
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => layer.with_filter(targets).boxed(),
        // One object per line: the event's fields at the top level, and the fields of the
        // request span (request id, trace id, route, method) under `span`. The JSON lines see
        // no other span, so that `span` is the request's on every line of a request, at any
        // filter (text lines show the whole span stack instead).
        LogFormat::Json => layer
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(targets.and(filter_fn(|meta| {
                meta.is_event() || meta.target() == REQUEST_SPAN_TARGET
            })))
            .boxed(),
    }
}

/// What the trace exporter gets: CampusHub's spans down to DEBUG (the service action, each
/// cache tier, each statement: DEBUG so that they cost nothing when traces are off), other
/// crates' spans at INFO, and warnings and errors as span events.
fn exported(meta: &Metadata<'_>) -> bool {
    let level = *meta.level();
    if meta.is_span() {
        let floor = if meta.target().starts_with("campushub") {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        };
        floor >= level
    } else {
        LevelFilter::WARN >= level
    }
}
