//! The cache's error type and its conversion into core's error.

use campushub_core::Error as CoreError;

/// Result with the cache's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong inside the cache.
///
/// Lookups and invalidations never return these to the service: a failing Redis degrades to
/// L1 + loader (see the crate docs). They surface from construction ([`crate::TieredCache::connect`])
/// and from the warmer's jobs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable (an empty namespace, one containing `{`/`}` that would
    /// break the hash tags, a zero L1 size, a cap of zero query entries per kind). Fix the
    /// named setting.
    #[error("invalid cache configuration: {0}")]
    Config(String),
    /// Redis refused or failed the command (connection lost, script error, out of memory).
    /// Check that Redis is up and reachable at the configured URL.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer within the configured operation timeout. The circuit breaker
    /// counts these; a sustained run opens it.
    #[error("redis did not answer `{operation}` in time")]
    Timeout {
        /// The operation that timed out.
        operation: &'static str,
    },
    /// The circuit breaker is open: Redis is skipped until the cool-down ends.
    #[error("redis skipped: circuit breaker open")]
    CircuitOpen,
    /// Invalidations made while Redis was unreachable are still being replayed in the
    /// background: until they are, what Redis holds may predate them, so lookups and fills
    /// skip it. Clears by itself once Redis answers.
    #[error("redis skipped: replaying queued invalidations")]
    Replaying,
    /// The invalidation channel is down, or came back less than its grace ago: other
    /// instances' invalidations may have failed to reach Redis for the same reason this one
    /// cannot hear them, so lookups and fills skip it. Clears by itself once subscribed.
    #[error("redis skipped: the invalidation channel is down or settling")]
    ChannelDown,
    /// A value stored in Redis does not have the cache's layout (another program wrote the
    /// key, or a different version of this crate uses the same namespace). Use a separate
    /// namespace per deployment.
    #[error("malformed cache entry under `{key}`")]
    Corrupt {
        /// The Redis key.
        key: String,
    },
}

impl From<Error> for CoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::Config(message) => CoreError::Internal {
                message: format!("invalid cache configuration: {message}"),
                source: None,
            },
            Error::Corrupt { .. } => CoreError::internal("cache entry malformed", error),
            other => CoreError::unavailable("cache unavailable", other),
        }
    }
}
