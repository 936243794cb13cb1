//! Logging to stderr, filtered by `CAMPUSHUB_LOG` (`info`, `warn,campushub_sqlx=debug`), in
//! the format of `CAMPUSHUB_LOG_FORMAT`; and, when the `OTEL_*` variables ask for it, spans
//! exported as OpenTelemetry traces ([`super::traces`]).

use std::str::FromStr;

use tracing::Metadata;
use tracing_subscriber::filter::{filter_fn, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use super::config::Config;
use super::traces::Traces;
use super::values::{error, ConfigError, LogFormat};

/// The target of the request span (`campushub-http`'s `request_span` module).
const REQUEST_SPAN_TARGET: &str = "campushub_http::request_span";

/// Logging and traces as [`Server::main`](super::Server::main) sets them up, for a program
/// that runs the other steps itself: [`Telemetry::init`] before serving,
/// [`Telemetry::shutdown`] after, outside the runtime.
#[derive(Debug)]
pub struct Telemetry {
    traces: Option<Traces>,
}

impl Telemetry {
    /// Installs the global subscriber: `config.log` selects the events, `config.log_format`
    /// how they are written to stderr; starts the trace exporter when the `OTEL_*` variables
    /// ask for it (`docs/operations.md`). A subscriber installed earlier stays.
    ///
    /// # Errors
    /// A bad `CAMPUSHUB_LOG` filter, or an `OTEL_*` value the server cannot honour, naming
    /// the variable.
    pub fn init(config: &Config) -> Result<Self, ConfigError> {
        init(&config.log, config.log_format, |name| {
            std::env::var(name).ok()
        })
    }

    /// Whether spans are exported.
    pub fn traces_exported(&self) -> bool {
        self.traces.is_some()
    }

    /// Exports the spans still queued and stops the exporter. Blocks: call it outside the
    /// runtime, once the server has stopped.
    pub fn shutdown(self) {
        if let Some(traces) = self.traces {
            traces.shutdown();
        }
    }
}

/// [`Telemetry::init`] with the variables read through `var`.
fn init(
    filter: &str,
    format: LogFormat,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Telemetry, ConfigError> {
    let targets = Targets::from_str(filter).map_err(|e| {
        error(
            "CAMPUSHUB_LOG",
            format!("`{filter}` is not a filter such as `info` or `warn,sqlx=error`: {e}"),
        )
    })?;
    let traces = Traces::from_env(var)?;
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
    Ok(Telemetry { traces })
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

/// What the trace exporter gets: CampusHub's spans down to DEBUG (the service action and each
/// cache tier are DEBUG, so that they cost nothing when traces are off; each statement is
/// INFO), other crates' spans at INFO, and warnings and errors as span events.
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
