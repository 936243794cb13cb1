//! The server's configuration, read from `CAMPUSHUB_*` variables (or the flags mirroring
//! them, or `*_FILE` files); a bad value is a [`ConfigError`] naming the variable.

use std::net::SocketAddr;
use std::time::Duration;

use super::backend_tls::BackendTls;
use super::deployment::{environment, secret_strength};
use super::limits::{self, ConnectionLimits};
use super::oidc::OidcSettings;
use super::parse::{
    api_keys, bind, bool_var, bytes_var, database, duration_or_off, duration_var, flag, jwt_key,
    number_or_off, number_var, settings,
};
use super::rate_limits;
use super::settings::{find, variables, SETTINGS};
use super::values::{error, ConfigError, Database, Environment, JwtKey, LogFormat};
use crate::cache::CacheConfig;
use crate::core::accounts::{SignInConfig, ThrottleConfig};
use crate::http::{CorsOrigins, Identity, ImportLimits, RateLimits, RequireIfMatch};

/// Every variable the server reads, in the order the help lists them. Each has a flag
/// (`CAMPUSHUB_DATABASE_URL` is `--database-url`) except the secrets `CAMPUSHUB_JWT_SECRET`,
/// `CAMPUSHUB_API_KEYS` and `CAMPUSHUB_CURSOR_KEY`; those and the URLs (which may carry
/// passwords) may instead be read from the file named by `<variable>_FILE`.
pub const VARIABLES: [&str; SETTINGS.len()] = variables();

/// Whether the server reads the variable `name`: one of [`VARIABLES`], or the `*_FILE`
/// variable of a setting that may be read from a file. Any other `CAMPUSHUB_*` variable is
/// ignored, so a deployment's environment can be checked with it: a misspelt name
/// (`CAMPUSHUB_REDIS_ULR`) configures nothing.
pub fn reads_variable(name: &str) -> bool {
    find(name).is_some()
}

/// The SQLite database used when `CAMPUSHUB_DATABASE_URL` is unset.
pub(super) const DEFAULT_DATABASE_URL: &str = "sqlite://data/campushub.db";

/// `CAMPUSHUB_SHUTDOWN_GRACE` when unset: above the router's 30 s request timeout, so that
/// every request in progress at a shutdown ends (answered, or `408`) before the grace runs out
/// and none is cut off with no response.
pub(super) const DEFAULT_GRACE: Duration = Duration::from_secs(35);

/// `CAMPUSHUB_DB_STATEMENT_TIMEOUT` when unset: the router's request timeout, past which no
/// one waits for the answer anyway.
pub(super) const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Development or production (`CAMPUSHUB_ENV`; development by default only on an SQLite
    /// database bound to a loopback address).
    pub environment: Environment,
    /// The database.
    pub database: Database,
    /// Redis for the shared cache tier and invalidations; L1 only when `None`.
    pub redis_url: Option<String>,
    /// TLS to the database and Redis: plaintext refused or not, certificates.
    pub backend_tls: BackendTls,
    /// `false`: no cache at all (every read goes to the database).
    pub cache: bool,
    /// Prefix of the Redis keys and channel.
    pub cache_namespace: String,
    /// The most list and statistics entries Redis keeps per kind (see
    /// [`CacheConfig::max_query_entries_per_kind`]).
    pub cache_max_query_entries: usize,
    /// How often the warmer reloads its sets (`None`: no warming).
    pub warm_interval: Option<Duration>,
    /// Page-number pages count up to this many records (`CAMPUSHUB_COUNT_CAP`; `None`: every
    /// one), with the cache on or off (see
    /// [`EntityServiceBuilder::count_cap`](crate::core::service::EntityServiceBuilder::count_cap)).
    pub count_cap: Option<u64>,
    /// Whether writes are recorded in the audit log (`CAMPUSHUB_AUDIT`, default on; off for
    /// a scratch database or to measure its cost). The log stays readable either way.
    pub audit: bool,
    /// Token verification.
    pub jwt: JwtKey,
    /// The `iss` every token must carry (required with a public key).
    pub jwt_issuer: Option<String>,
    /// The `aud` every token must carry (required with a public key).
    pub jwt_audience: Option<String>,
    /// The identity provider whose tokens are accepted too, if any.
    pub oidc: Option<OidcSettings>,
    /// `subject:role+role:key` entries.
    pub api_keys: Vec<(String, Vec<String>, String)>,
    /// The key cursors are signed with (else derived from the JWT key).
    pub cursor_key: Option<String>,
    /// Where to listen.
    pub bind: SocketAddr,
    /// Whether an empty database gets the demo records (by default, in development only).
    pub demo_data: bool,
    /// The log filter (`info`, `campushub=debug,sqlx=warn`).
    pub log: String,
    /// How log lines are written (`text` or `json`).
    pub log_format: LogFormat,
    /// Statements slower than this are logged at `warn` and counted (`None`: not tracked).
    pub slow_statement: Option<Duration>,
    /// Whether `/metrics` is open without credentials.
    pub metrics_public: bool,
    /// The limits of spreadsheet imports (file size, rows, cell length).
    pub imports: ImportLimits,
    /// Origins browsers may call the API from.
    pub cors: CorsOrigins,
    /// Which resources answer `428` to an update or delete without `If-Match`.
    pub require_if_match: RequireIfMatch,
    /// After a shutdown signal, how long `/readyz` answers `503` while the instance still
    /// serves (time for a load balancer to stop routing to it), before the listener closes.
    pub shutdown_drain: Duration,
    /// Then, how long requests in progress may take to finish.
    pub shutdown_grace: Duration,
    /// How long a request may take, its body's upload included, before it is answered `408`
    /// (`CAMPUSHUB_REQUEST_TIMEOUT`; the router's [`HttpConfig::request_timeout`] default):
    /// raise it for large document uploads from slow clients, and the shutdown grace with it.
    ///
    /// [`HttpConfig::request_timeout`]: crate::http::HttpConfig::request_timeout
    pub request_timeout: Duration,
    /// What bounds connections and requests in progress.
    pub limits: ConnectionLimits,
    /// Token lifetimes and the login throttle.
    pub sign_in: SignInSettings,
    /// The `CAMPUSHUB_RATE_LIMIT*` quotas.
    pub rate_limits: RateLimits,
}

/// The settings of sign-in: token lifetimes and the login throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInSettings {
    /// `CAMPUSHUB_ACCESS_TOKEN_TTL`.
    pub access_ttl: Duration,
    /// `CAMPUSHUB_REFRESH_TOKEN_TTL` and the `CAMPUSHUB_LOGIN_*` throttle.
    pub sign_in: SignInConfig,
    /// `CAMPUSHUB_TRUST_FORWARDED_FOR`.
    pub trust_forwarded_for: bool,
}

impl SignInSettings {
    fn load(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = SignInConfig::default();
        let access_ttl = duration_var(
            get,
            "CAMPUSHUB_ACCESS_TOKEN_TTL",
            Identity::DEFAULT_ACCESS_TTL,
        )?;
        if access_ttl.is_zero() || access_ttl > Duration::from_secs(24 * 60 * 60) {
            return Err(error(
                "CAMPUSHUB_ACCESS_TOKEN_TTL",
                "must be between 1s and 24h",
            ));
        }
        let refresh_ttl = duration_var(get, "CAMPUSHUB_REFRESH_TOKEN_TTL", defaults.refresh_ttl)?;
        if refresh_ttl <= access_ttl || refresh_ttl > Duration::from_secs(365 * 86_400) {
            return Err(error(
                "CAMPUSHUB_REFRESH_TOKEN_TTL",
                "must be longer than CAMPUSHUB_ACCESS_TOKEN_TTL and at most 365d",
            ));
        }
        let throttle = ThrottleConfig {
            account_free: number_var(
                get,
                "CAMPUSHUB_LOGIN_ACCOUNT_FAILURES",
                defaults.throttle.account_free,
            )?,
            address_free: number_var(
                get,
                "CAMPUSHUB_LOGIN_ADDRESS_FAILURES",
                defaults.throttle.address_free,
            )?,
            max_lockout: duration_var(
                get,
                "CAMPUSHUB_LOGIN_MAX_LOCKOUT",
                defaults.throttle.max_lockout,
            )?,
            ..defaults.throttle
        };
        Ok(SignInSettings {
            access_ttl,
            sign_in: SignInConfig {
                refresh_ttl,
                throttle,
            },
            trust_forwarded_for: bool_var(get, "CAMPUSHUB_TRUST_FORWARDED_FOR", false)?,
        })
    }
}

impl Config {
    /// Reads the configuration through `lookup` (a variable's value, if set; blank is unset),
    /// reading a `*_FILE` variable's file for the settings that accept one (see
    /// [`VARIABLES`]). [`Args::config`](super::Args::config) calls it with the command line's
    /// values over the environment.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let values = settings(lookup)?;
        let get = |name: &str| values.get(name).cloned();
        let database_url = get("CAMPUSHUB_DATABASE_URL");
        let database = database(
            database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL),
            get("CAMPUSHUB_REPLICA_URLS"),
            get("CAMPUSHUB_ANALYTICS_URL"),
            duration_var(&get, "CAMPUSHUB_REPLICA_MAX_LAG", Duration::from_secs(10))?,
            number_var(&get, "CAMPUSHUB_DB_MAX_CONNECTIONS", 10)?,
            duration_or_off(
                &get,
                "CAMPUSHUB_DB_STATEMENT_TIMEOUT",
                DEFAULT_STATEMENT_TIMEOUT,
                &["off"],
            )?,
        )?;
        let redis_url = get("CAMPUSHUB_REDIS_URL");
        if let Some(url) = &redis_url {
            // One server, or a Redis Cluster named by some of its nodes.
            const SCHEMES: [&str; 4] = [
                "redis://",
                "rediss://",
                "redis+cluster://",
                "rediss+cluster://",
            ];
            if !SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
                return Err(error(
                    "CAMPUSHUB_REDIS_URL",
                    format!(
                        "`{url}` is not a redis://, rediss://, redis+cluster:// or \
                         rediss+cluster:// URL"
                    ),
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
        let cache_namespace =
            get("CAMPUSHUB_CACHE_NAMESPACE").unwrap_or_else(|| "campushub".into());
        if cache_namespace.contains(['{', '}']) {
            return Err(error(
                "CAMPUSHUB_CACHE_NAMESPACE",
                "must not contain `{` or `}`",
            ));
        }
        // Unset: the cache's own default.
        let default_query_entries = CacheConfig::default().max_query_entries_per_kind;
        let cache_max_query_entries = number_var(
            &get,
            "CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES",
            u32::try_from(default_query_entries).unwrap_or(u32::MAX),
        )? as usize;
        let bind = bind(get("CAMPUSHUB_BIND"))?;
        let environment = environment(get("CAMPUSHUB_ENV").as_deref(), &database, bind)?;
        let jwt = jwt_key(&get, &database, environment)?;
        let backend_tls = BackendTls::load(&get, environment)?;
        let jwt_issuer = get("CAMPUSHUB_JWT_ISSUER");
        let jwt_audience = get("CAMPUSHUB_JWT_AUDIENCE");
        // Tokens signed elsewhere (by an identity provider) must say they are for this API:
        // a token the provider issued for another application must not open this one.
        if matches!(jwt, JwtKey::PublicKeyFile(_)) {
            for (variable, value) in [
                ("CAMPUSHUB_JWT_ISSUER", &jwt_issuer),
                ("CAMPUSHUB_JWT_AUDIENCE", &jwt_audience),
            ] {
                if value.is_none() {
                    return Err(error(
                        variable,
                        "is required with CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
                    ));
                }
            }
        }
        let cursor_key = get("CAMPUSHUB_CURSOR_KEY");
        if let Some(key) = &cursor_key {
            secret_strength(key).map_err(|message| error("CAMPUSHUB_CURSOR_KEY", message))?;
        }
        let development = environment == Environment::Development;
        let sign_in = SignInSettings::load(&get)?;
        let rate_limits = rate_limits::load(&get, sign_in.trust_forwarded_for)?;
        Ok(Config {
            environment,
            redis_url,
            backend_tls,
            cache,
            cache_namespace,
            cache_max_query_entries,
            warm_interval: duration_or_off(
                &get,
                "CAMPUSHUB_WARM_INTERVAL",
                Duration::from_secs(60),
                &["off", "0"],
            )?,
            count_cap: number_or_off(
                &get,
                "CAMPUSHUB_COUNT_CAP",
                crate::core::service::DEFAULT_COUNT_CAP,
            )?,
            audit: bool_var(&get, "CAMPUSHUB_AUDIT", true)?,
            jwt,
            jwt_issuer,
            jwt_audience,
            oidc: OidcSettings::load(&get)?,
            api_keys: api_keys(get("CAMPUSHUB_API_KEYS"))?,
            cursor_key,
            bind,
            demo_data: bool_var(&get, "CAMPUSHUB_DEMO_DATA", development)?,
            log: get("CAMPUSHUB_LOG").unwrap_or_else(|| "info".into()),
            log_format: match get("CAMPUSHUB_LOG_FORMAT").as_deref().map(str::trim) {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(error(
                        "CAMPUSHUB_LOG_FORMAT",
                        format!("`{other}` is not `text` or `json`"),
                    ))
                }
            },
            // `0s` reports every statement (a debugging aid); only `off` turns it off.
            slow_statement: duration_or_off(
                &get,
                "CAMPUSHUB_SLOW_STATEMENT",
                crate::sqlx::DEFAULT_SLOW_STATEMENT,
                &["off"],
            )?,
            metrics_public: bool_var(&get, "CAMPUSHUB_METRICS_PUBLIC", false)?,
            imports: import_limits(&get)?,
            cors: CorsOrigins::parse(&get("CAMPUSHUB_CORS_ORIGINS").unwrap_or_default())
                .map_err(|message| error("CAMPUSHUB_CORS_ORIGINS", message))?,
            require_if_match: RequireIfMatch::parse(
                &get("CAMPUSHUB_REQUIRE_IF_MATCH").unwrap_or_default(),
            )
            .map_err(|message| error("CAMPUSHUB_REQUIRE_IF_MATCH", message))?,
            shutdown_drain: duration_var(&get, "CAMPUSHUB_SHUTDOWN_DRAIN", Duration::ZERO)?,
            shutdown_grace: duration_var(&get, "CAMPUSHUB_SHUTDOWN_GRACE", DEFAULT_GRACE)?,
            request_timeout: request_timeout(&get)?,
            limits: ConnectionLimits {
                header_timeout: duration_var(
                    &get,
                    "CAMPUSHUB_HEADER_TIMEOUT",
                    limits::DEFAULT_HEADER_TIMEOUT,
                )?,
                max_connections: number_var(
                    &get,
                    "CAMPUSHUB_MAX_CONNECTIONS",
                    limits::DEFAULT_MAX_CONNECTIONS as u32,
                )? as usize,
                max_in_flight: number_var(
                    &get,
                    "CAMPUSHUB_MAX_IN_FLIGHT",
                    limits::DEFAULT_MAX_IN_FLIGHT as u32,
                )? as usize,
            },
            sign_in,
            rate_limits,
            database,
        })
    }
}

/// `CAMPUSHUB_REQUEST_TIMEOUT`: a duration above zero (at zero every request would time out).
fn request_timeout(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    let variable = "CAMPUSHUB_REQUEST_TIMEOUT";
    let default = crate::http::HttpConfig::default().request_timeout;
    match duration_var(get, variable, default)? {
        timeout if timeout.is_zero() => Err(error(variable, "must be above zero")),
        timeout => Ok(timeout),
    }
}

/// The import limits of `CAMPUSHUB_IMPORT_*`, the defaults for those unset.
fn import_limits(get: &impl Fn(&str) -> Option<String>) -> Result<ImportLimits, ConfigError> {
    let defaults = ImportLimits::default();
    let count = |variable, default: usize| -> Result<usize, ConfigError> {
        let default = u32::try_from(default).unwrap_or(u32::MAX);
        Ok(number_var(get, variable, default)? as usize)
    };
    Ok(ImportLimits {
        max_file_bytes: bytes_var(get, "CAMPUSHUB_IMPORT_MAX_BYTES", defaults.max_file_bytes)?,
        max_rows: count("CAMPUSHUB_IMPORT_MAX_ROWS", defaults.max_rows)?,
        max_cell_chars: count("CAMPUSHUB_IMPORT_MAX_CELL_CHARS", defaults.max_cell_chars)?,
        ..defaults
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_reads_its_settings_and_their_files_only() {
        assert!(reads_variable("CAMPUSHUB_REDIS_URL"));
        assert!(reads_variable("CAMPUSHUB_JWT_SECRET_FILE"));
        assert!(!reads_variable("CAMPUSHUB_REDIS_ULR"));
        // A setting without a file form has no `*_FILE` variable.
        assert!(!reads_variable("CAMPUSHUB_BIND_FILE"));
    }
}
