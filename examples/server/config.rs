//! The server's configuration, read from `CAMPUSHUB_*` variables (or the flags mirroring
//! them); a bad value is a [`ConfigError`] naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every variable the server reads, in the order the usage lists them.
pub const VARIABLES: [&str; 18] = [
    "CAMPUSHUB_DATABASE_URL",
    "CAMPUSHUB_REPLICA_URLS",
    "CAMPUSHUB_ANALYTICS_URL",
    "CAMPUSHUB_REPLICA_MAX_LAG",
    "CAMPUSHUB_REDIS_URL",
    "CAMPUSHUB_CACHE",
    "CAMPUSHUB_CACHE_NAMESPACE",
    "CAMPUSHUB_WARM_INTERVAL",
    "CAMPUSHUB_JWT_SECRET",
    "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
    "CAMPUSHUB_API_KEYS",
    "CAMPUSHUB_CURSOR_KEY",
    "CAMPUSHUB_BIND",
    "CAMPUSHUB_DEMO_DATA",
    "CAMPUSHUB_LOG",
    "CAMPUSHUB_METRICS_PUBLIC",
    "CAMPUSHUB_DB_MAX_CONNECTIONS",
    "CAMPUSHUB_SHUTDOWN_GRACE",
];

/// The SQLite database used when `CAMPUSHUB_DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/campushub.db";

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.variable, self.message)
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

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database.
    pub database: Database,
    /// Redis for the shared cache tier and invalidations; L1 only when `None`.
    pub redis_url: Option<String>,
    /// `false`: no cache at all (every read goes to the database).
    pub cache: bool,
    /// Prefix of the Redis keys and channel.
    pub cache_namespace: String,
    /// How often the warmer reloads its sets.
    pub warm_interval: Duration,
    /// Token verification.
    pub jwt: JwtKey,
    /// `subject:role+role:key` entries.
    pub api_keys: Vec<(String, Vec<String>, String)>,
    /// The key cursors are signed with (else derived from the JWT key).
    pub cursor_key: Option<String>,
    /// Where to listen.
    pub bind: SocketAddr,
    /// Whether an empty database gets the demo records.
    pub demo_data: bool,
    /// The log filter (`info`, `campushub=debug,sqlx=warn`).
    pub log: String,
    /// Whether `/metrics` is open without credentials.
    pub metrics_public: bool,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Config {
    /// Reads the configuration through `lookup` (a variable's value, if set).
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let database_url = get("CAMPUSHUB_DATABASE_URL");
        let database = database(
            database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL),
            get("CAMPUSHUB_REPLICA_URLS"),
            get("CAMPUSHUB_ANALYTICS_URL"),
            duration_var(&get, "CAMPUSHUB_REPLICA_MAX_LAG", Duration::from_secs(10))?,
            number_var(&get, "CAMPUSHUB_DB_MAX_CONNECTIONS", 10)?,
        )?;
        let redis_url = get("CAMPUSHUB_REDIS_URL");
        if let Some(url) = &redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(error(
                    "CAMPUSHUB_REDIS_URL",
                    format!("`{url}` is not a redis:// URL"),
                ));
            }
        }
        let cache = match get("CAMPUSHUB_CACHE").as_deref() {
            None => true,
            Some("on") => true,
            Some("off") => false,
            Some(other) => flag(other).ok_or_else(|| {
                error("CAMPUSHUB_CACHE", format!("`{other}` is not `on` or `off`"))
            })?,
        };
        let cache_namespace = get("CAMPUSHUB_CACHE_NAMESPACE").unwrap_or_else(|| "campushub".into());
        if cache_namespace.contains(['{', '}']) {
            return Err(error("CAMPUSHUB_CACHE_NAMESPACE", "must not contain `{` or `}`"));
        }
        let jwt = jwt_key(&get, &database)?;
        Ok(Config {
            redis_url,
            cache,
            cache_namespace,
            warm_interval: duration_var(&get, "CAMPUSHUB_WARM_INTERVAL", Duration::from_secs(60))?,
            jwt,
            api_keys: api_keys(get("CAMPUSHUB_API_KEYS"))?,
            cursor_key: get("CAMPUSHUB_CURSOR_KEY"),
            bind: bind(get("CAMPUSHUB_BIND"))?,
            demo_data: bool_var(&get, "CAMPUSHUB_DEMO_DATA", true)?,
            log: get("CAMPUSHUB_LOG").unwrap_or_else(|| "info".into()),
            metrics_public: bool_var(&get, "CAMPUSHUB_METRICS_PUBLIC", false)?,
            shutdown_grace: duration_var(&get, "CAMPUSHUB_SHUTDOWN_GRACE", Duration::from_secs(30))?,
            database,
        })
    }
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

fn database(
    url: &str,
    replicas: Option<String>,
    analytics: Option<String>,
    max_lag: Duration,
    max_connections: u32,
) -> Result<Database, ConfigError> {
    let is_postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
    if let Some(path) = url.strip_prefix("sqlite:") {
        if replicas.is_some() || analytics.is_some() {
            let variable = if replicas.is_some() {
                "CAMPUSHUB_REPLICA_URLS"
            } else {
                "CAMPUSHUB_ANALYTICS_URL"
            };
            return Err(error(variable, "needs a postgres CAMPUSHUB_DATABASE_URL"));
        }
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(error("CAMPUSHUB_DATABASE_URL", "the sqlite URL names no file"));
        }
        let file = (path != ":memory:").then(|| PathBuf::from(path));
        return Ok(Database::Sqlite {
            url: url.to_owned(),
            file,
        });
    }
    if !is_postgres(url) {
        return Err(error(
            "CAMPUSHUB_DATABASE_URL",
            format!("`{url}` is neither a sqlite: nor a postgres:// URL"),
        ));
    }
    let replicas: Vec<String> = replicas
        .iter()
        .flat_map(|list| list.split(','))
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    if let Some(bad) = replicas.iter().find(|u| !is_postgres(u)) {
        return Err(error(
            "CAMPUSHUB_REPLICA_URLS",
            format!("`{bad}` is not a postgres:// URL"),
        ));
    }
    if let Some(bad) = analytics.as_ref().filter(|u| !is_postgres(u)) {
        return Err(error(
            "CAMPUSHUB_ANALYTICS_URL",
            format!("`{bad}` is not a postgres:// URL"),
        ));
    }
    Ok(Database::Postgres {
        primary: url.to_owned(),
        replicas,
        analytics,
        max_lag,
        max_connections,
    })
}

fn jwt_key(
    get: &impl Fn(&str) -> Option<String>,
    database: &Database,
) -> Result<JwtKey, ConfigError> {
    match (get("CAMPUSHUB_JWT_SECRET"), get("CAMPUSHUB_JWT_PUBLIC_KEY_FILE")) {
        (Some(_), Some(_)) => Err(error(
            "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
            "set either it or CAMPUSHUB_JWT_SECRET, not both",
        )),
        (Some(secret), None) if secret.len() < 32 => Err(error(
            "CAMPUSHUB_JWT_SECRET",
            "must be at least 32 characters long",
        )),
        (Some(secret), None) => Ok(JwtKey::Secret(secret.into_bytes())),
        (None, Some(file)) => Ok(JwtKey::PublicKeyFile(PathBuf::from(file))),
        (None, None) => match database {
            Database::Sqlite { file, .. } => Ok(JwtKey::Development(file.as_ref().map(|f| {
                f.parent()
                    .map(|dir| dir.join("jwt-secret"))
                    .unwrap_or_else(|| PathBuf::from("jwt-secret"))
            }))),
            Database::Postgres { .. } => Err(error(
                "CAMPUSHUB_JWT_SECRET",
                "is required with a postgres database (every instance must share it); \
                 or set CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
            )),
        },
    }
}

fn api_keys(list: Option<String>) -> Result<Vec<(String, Vec<String>, String)>, ConfigError> {
    let mut keys = Vec::new();
    for entry in list.iter().flat_map(|l| l.split(',')).map(str::trim) {
        let mut parts = entry.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(subject), Some(roles), Some(key))
                if !subject.is_empty() && !roles.is_empty() && key.len() >= 16 =>
            {
                let roles = roles.split('+').map(str::to_owned).collect();
                keys.push((subject.to_owned(), roles, key.to_owned()));
            }
            _ => {
                return Err(error(
                    "CAMPUSHUB_API_KEYS",
                    "expected `subject:role[+role]:key` entries separated by commas, \
                     keys of at least 16 characters",
                ))
            }
        }
    }
    Ok(keys)
}

fn bind(value: Option<String>) -> Result<SocketAddr, ConfigError> {
    let value = value.unwrap_or_else(|| "127.0.0.1:8080".into());
    value.parse().map_err(|_| {
        error(
            "CAMPUSHUB_BIND",
            format!("`{value}` is not an address and port such as 127.0.0.1:8080"),
        )
    })
}

fn flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn bool_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(value) => {
            flag(&value).ok_or_else(|| error(variable, format!("`{value}` is not true or false")))
        }
    }
}

fn number_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| error(variable, format!("`{value}` is not a positive number"))),
    }
}

fn duration_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(value) => parse_duration(&value).ok_or_else(|| {
            error(
                variable,
                format!("`{value}` is not a duration such as 250ms, 30s, 5m, 2h or 7d"),
            )
        }),
    }
}

/// `250ms`, `30s`, `5m`, `2h`, `7d`, or a number of seconds.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => return Some(Duration::from_millis(number)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}
