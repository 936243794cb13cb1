//! What bounds each connection and the server as a whole, so that slow or many clients cannot
//! hold it: a deadline for a request's headers (which is also how long a keep-alive connection
//! may sit idle), a cap on open connections (beyond it the server stops accepting until one
//! closes), and a cap on requests in progress (beyond it a request is answered `503` with
//! `Retry-After` at once, rather than queued without bound).

use std::time::Duration;

/// The server's connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers, counted from when the server
    /// starts waiting for them, so also the longest a keep-alive connection stays idle.
    pub header_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Requests in progress at once, over every connection.
    pub max_in_flight: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// `CAMPUSHUB_HEADER_TIMEOUT` when unset: hyper's own default, and above the 10 to 30 s idle
/// timeouts load balancers keep their upstream connections open for by default, so that the
/// server is not the side that closes an idle connection a balancer is about to reuse.
pub(super) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// `CAMPUSHUB_MAX_CONNECTIONS` when unset: well above what a few load balancers keep open,
/// well below a default file-descriptor limit of 20,000 or more.
pub(super) const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// `CAMPUSHUB_MAX_IN_FLIGHT` when unset: at a few milliseconds per request, 20,000 requests
/// per second keep under a hundred in progress; a thousand means the database is not keeping
/// up, and queueing more only makes every request late.
pub(super) const DEFAULT_MAX_IN_FLIGHT: usize = 1_024;
