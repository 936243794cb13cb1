//! The configuration's values that the parsers produce and the configuration holds: where the
//! records live, how bearer tokens are verified, and the error naming a bad variable.

use std::path::PathBuf;
use std::time::Duration;

use super::settings;

/// A configuration value that cannot be used. It prints as one line naming the flag too when
/// the variable has one: ``invalid configuration: --bind (CAMPUSHUB_BIND): `x` is not ...``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable at fault (a `*_FILE` variable when the file was at fault).
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// The flag setting the same value as [`variable`](Self::variable) (`--bind`), if any:
    /// secrets and `*_FILE` variables have none.
    pub fn flag(&self) -> Option<String> {
        settings::find(self.variable)
            .filter(|setting| setting.variable == self.variable)
            .and_then(|setting| setting.flag)
            .map(|flag| format!("--{flag}"))
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.flag() {
            Some(flag) => write!(
                f,
                "invalid configuration: {flag} ({}): {}",
                self.variable, self.message
            ),
            None => write!(
                f,
                "invalid configuration: {}: {}",
                self.variable, self.message
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Where the records live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (or `:memory:`); `file` is its path.
    Sqlite {
        /// The URL as given.
        url: String,
        /// The file, `None` in memory.
        file: Option<PathBuf>,
    },
    /// A Postgres primary with optional replicas and analytics database.
    Postgres {
        /// The primary.
        primary: String,
        /// Read replicas.
        replicas: Vec<String>,
        /// The analytics database.
        analytics: Option<String>,
        /// A replica lagging more than this is taken out of rotation.
        max_lag: Duration,
        /// Connections per pool.
        max_connections: u32,
        /// Statements running longer are cancelled by the server (`None`: its own setting).
        statement_timeout: Option<Duration>,
    },
}

/// How bearer tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtKey {
    /// HS256 with this secret.
    Secret(Vec<u8>),
    /// HS256 with a development secret kept in a file beside the SQLite database (or in
    /// memory only, for an in-memory database).
    Development(Option<PathBuf>),
    /// RS256 with the public key in this PEM file.
    PublicKeyFile(PathBuf),
}

/// What the server is run for: development conveniences (a generated JWT secret, an `admin`
/// token printed at start, demo data in an empty database) exist only in development.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine: the default on an SQLite database bound to a loopback address.
    Development,
    /// Anything else: a real secret (or public key) is required, no token is printed, and
    /// demo data is loaded only when asked for.
    Production,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log pipelines (Loki, Elasticsearch, Cloud Logging).
    Json,
}

/// The error for `variable`: `message` says what is wrong with its value.
pub(super) fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}
