//! Logging to stderr, filtered by `CAMPUSHUB_LOG` (`info`, `warn,campushub_sqlx=debug`), in
//! the format of `CAMPUSHUB_LOG_FORMAT`.

use std::str::FromStr;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::values::{error, ConfigError, LogFormat};

/// Installs the global subscriber: `filter` selects the events, `format` how they are written.
pub(super) fn init(filter: &str, format: LogFormat) -> Result<(), ConfigError> {
    let targets = Targets::from_str(filter).map_err(|e| {
        error(
            "CAMPUSHUB_LOG",
            format!("`{filter}` is not a filter such as `info` or `warn,sqlx=error`: {e}"),
        )
    })?;
    // JSON lines come with issue 19's logging work; until then both formats write text.
    let _ = format;
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(targets)
        .try_init();
    Ok(())
}
