//! When a pooled connection is tested before it is handed out.
//!
//! sqlx tests every connection twice a checkout by default: a round trip to the server when
//! the connection is acquired (`test_before_acquire`) and another when it is released. The
//! release test stays (sqlx always makes it); it proves the connection alive at the moment it
//! went back to the pool. Testing it again a few microseconds later, when the next request
//! takes it, proves nothing new and costs a round trip and a wakeup of the database's backend
//! on every statement: about a tenth of the server's CPU per uncached retrieve on Postgres.
//! So a connection is tested on acquire only once it has sat idle long enough for the server
//! to have gone away meanwhile (a restart, an idle-session timeout, a failover).

use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database};

/// A connection idle at least this long is tested before it is handed out.
pub(crate) const TEST_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// `options` testing a connection on acquire only when it has been idle for
/// [`TEST_WHEN_IDLE_FOR`] or longer (a failed test closes it and the pool takes another).
pub(crate) fn tested_when_idle<DB: Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if needs_test(meta.idle_for) {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Whether a connection idle for `idle_for` is tested before it is handed out.
fn needs_test(idle_for: Duration) -> bool {
    idle_for >= TEST_WHEN_IDLE_FOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_just_released_is_not_tested_again() {
        assert!(!needs_test(Duration::ZERO));
        assert!(!needs_test(TEST_WHEN_IDLE_FOR - Duration::from_nanos(1)));
    }

    #[test]
    fn a_connection_idle_for_a_while_is_tested() {
        assert!(needs_test(TEST_WHEN_IDLE_FOR));
        assert!(needs_test(Duration::from_secs(3600)));
    }
}
