//! How a [`super::PgRouter`] is configured: URLs, pool sizes, health-check interval and
//! lag bound.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

use super::redact::redacted;

/// The router's configuration. Build it with [`PgRouterConfig::new`] and the `with_*`
/// methods.
///
/// Its `Debug` output shows the URLs with their passwords replaced by `***`.
#[derive(Clone, PartialEq)]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub struct PgRouterConfig {
    /// The primary's URL: writes, transactions, `ReadRoute::Primary` reads.
    pub primary: String,
    /// Replica URLs: ordinary reads, round-robin over the healthy ones.
    pub replicas: Vec<String>,
    /// The analytics database's URL: `ReadRoute::Analytics` reads, else replicas, else the
    /// primary. A standby of the primary (in recovery, with the primary's system identifier,
    /// as the health check finds) is routed by position like a replica, within the same lag
    /// bound: a read with a token goes there once it has replayed that far. Any other
    /// database has positions of its own and serves token-less reads only.
    pub analytics: Option<String>,
    /// Connections per pool (default 10).
    pub max_connections: u32,
    /// How often replicas are probed (default 1 s).
    pub health_interval: Duration,
    /// A replica lagging more than this is ejected (default 10 s).
    pub max_lag: Duration,
    /// A replica more than this many WAL bytes behind is ejected (default: no byte bound).
    pub max_lag_bytes: Option<u64>,
    /// How long a read waits for a replica connection before trying the primary (default 2 s).
    pub replica_acquire_timeout: Duration,
    /// How long a statement waits for a primary connection (including connecting) before it
    /// fails as unavailable (default 5 s). Also bounds the first connection in
    /// [`super::PgRouter::connect`], so a server pointed at a dead primary says so promptly.
    pub primary_acquire_timeout: Duration,
    /// The server cancels any statement running longer than this (Postgres's
    /// `statement_timeout`, set on every connection of every pool; default 30 s, the HTTP
    /// adapter's request timeout): one pathological query cannot hold a connection for
    /// longer. `None` leaves the server's setting.
    pub statement_timeout: Option<Duration>,
    /// A PEM file of root certificates every pool trusts, besides the system's (a private CA
    /// that signed the database servers' certificates). A URL's own `sslrootcert` wins.
    pub root_certificate: Option<PathBuf>,
    /// Refuse, at [`super::PgRouter::connect`], any URL to another host whose `sslmode`
    /// allows plaintext (`disable`, `allow`, `prefer`, the driver's default): each must say
    /// `require`, `verify-ca` or `verify-full`. Loopback hosts and Unix sockets are exempt:
    /// their traffic never leaves the machine. Default `false`.
    pub require_tls: bool,
    /// How often the router folds the count deltas writes append into the counter rows
    /// (`campushub_fold_counts()` on the primary; default 1 s). Statistics sum both, so this
    /// changes no count, only how many deltas a read sums; `None` leaves folding to another
    /// process (a second instance, a scheduled `SELECT campushub_fold_counts()`).
    pub fold_interval: Option<Duration>,
}

impl PgRouterConfig {
    /// A router with only a primary at `primary_url`.
    pub fn new(primary_url: impl Into<String>) -> Self {
        PgRouterConfig {
            primary: primary_url.into(),
            replicas: Vec::new(),
            analytics: None,
            max_connections: 10,
            health_interval: Duration::from_secs(1),
            max_lag: Duration::from_secs(10),
            max_lag_bytes: None,
            replica_acquire_timeout: Duration::from_secs(2),
            primary_acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            root_certificate: None,
            require_tls: false,
            fold_interval: Some(Duration::from_secs(1)),
        }
    }

    /// Adds a replica.
    pub fn with_replica(mut self, url: impl Into<String>) -> Self {
        self.replicas.push(url.into());
        self
    }

    /// Sets the analytics database.
    pub fn with_analytics(mut self, url: impl Into<String>) -> Self {
        self.analytics = Some(url.into());
        self
    }

    /// Sets [`PgRouterConfig::fold_interval`] (`None`: this router does not fold).
    pub fn with_fold_interval(mut self, interval: Option<Duration>) -> Self {
        self.fold_interval = interval;
        self
    }

    /// Sets [`PgRouterConfig::health_interval`].
    pub fn with_health_interval(mut self, interval: Duration) -> Self {
        self.health_interval = interval;
        self
    }

    /// Sets the lag bound.
    pub fn with_max_lag(mut self, lag: Duration) -> Self {
        self.max_lag = lag;
        self
    }

    /// Sets the byte lag bound.
    pub fn with_max_lag_bytes(mut self, bytes: u64) -> Self {
        self.max_lag_bytes = Some(bytes);
        self
    }

    /// Sets how long a read waits for a replica connection before trying the primary.
    pub fn with_replica_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.replica_acquire_timeout = timeout;
        self
    }

    /// Sets how long a statement waits for a primary connection.
    pub fn with_primary_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.primary_acquire_timeout = timeout;
        self
    }

    /// Sets the statement timeout of every connection (`None`: the server's own setting).
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Trusts the root certificates in `path` (PEM) on every pool.
    pub fn with_root_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.root_certificate = Some(path.into());
        self
    }

    /// Refuses URLs to other hosts that allow plaintext (see [`Self::require_tls`]).
    pub fn with_require_tls(mut self, required: bool) -> Self {
        self.require_tls = required;
        self
    }

    /// The connection options of `url`: its TLS settings checked and completed, and the
    /// statement timeout.
    pub(super) fn connect_options(&self, url: &str) -> crate::Result<PgConnectOptions> {
        let options = super::tls::secured(
            PgConnectOptions::from_str(url)?,
            self.root_certificate.as_deref(),
            self.require_tls,
            url,
        )?;
        Ok(match self.statement_timeout {
            // Milliseconds, Postgres's unit for a bare number; at least 1 (0 would disable).
            Some(timeout) => {
                let millis = timeout.as_millis().max(1).to_string();
                options.options([("statement_timeout", millis)])
            }
            None => options,
        })
    }

    /// Sets the connections per pool.
    pub fn with_max_connections(mut self, connections: u32) -> Self {
        self.max_connections = connections;
        self
    }
}

impl std::fmt::Debug for PgRouterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let replicas: Vec<String> = self.replicas.iter().map(|url| redacted(url)).collect();
        f.debug_struct("PgRouterConfig")
            .field("primary", &redacted(&self.primary))
            .field("replicas", &replicas)
            .field("analytics", &self.analytics.as_deref().map(redacted))
            .field("max_connections", &self.max_connections)
            .field("health_interval", &self.health_interval)
            .field("fold_interval", &self.fold_interval)
            .field("max_lag", &self.max_lag)
            .field("max_lag_bytes", &self.max_lag_bytes)
            .field("replica_acquire_timeout", &self.replica_acquire_timeout)
            .field("primary_acquire_timeout", &self.primary_acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("root_certificate", &self.root_certificate)
            .field("require_tls", &self.require_tls)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_passwords() {
        let config = PgRouterConfig::new("postgres://app:s3cret@db:5432/erp")
            .with_replica("postgres://app:p@ss/w?rd@replica/erp?sslmode=require")
            .with_analytics("postgres://app@olap/erp?password=hunter2&application_name=x");
        let debug = format!("{config:?}");
        for secret in ["s3cret", "p@ss", "w?rd", "hunter2"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("postgres://app:***@db:5432/erp"), "{debug}");
        assert!(
            debug.contains("postgres://app:***@replica/erp?sslmode=require"),
            "{debug}"
        );
        assert!(debug.contains("password=***&application_name=x"), "{debug}");
    }
}
