//! A replica's replay floor: the highest position it has shown this router. A connection that
//! opens on the replica below its floor is refused, so a replica that came back behind what
//! it had already served (crash recovery resumes from the last restart point, which can be
//! minutes back) answers no read until it has replayed past that point again.
//!
//! Why at connect time: a replica stopped by a crash takes its connections with it, so every
//! read it serves afterwards comes over a new connection. A read that picked the replica just
//! before the crash waits in the pool while the replica is down (connection refused and "the
//! database system is starting up" are retried until the acquire timeout) and, without this
//! check, runs on the restarted replica the moment it accepts connections: a record written
//! minutes earlier reads as missing. The health probe cannot close that window, because the
//! read was routed before the probe saw anything wrong.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::PgConnection;

use super::positions::REPLAY_POSITION;

/// The highest replay position a replica has shown: raised by every measurement, never
/// lowered.
#[derive(Debug, Default)]
pub(super) struct ReplayFloor(AtomicU64);

impl ReplayFloor {
    /// Records that the replica has replayed up to `position`.
    pub(super) fn raise(&self, position: u64) {
        self.0.fetch_max(position, Ordering::AcqRel);
    }

    /// The position every new connection must be at or past.
    pub(super) fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// The replica pool's `after_connect` check: measures the new connection's replay
    /// position and refuses the connection if it is below the floor (the pool then retries
    /// until its acquire timeout, and the read that waited is retried on the primary).
    pub(super) async fn admit(&self, connection: &mut PgConnection) -> Result<(), sqlx::Error> {
        let position: i64 = sqlx::query_scalar(REPLAY_POSITION)
            .fetch_one(&mut *connection)
            .await?;
        let position = u64::try_from(position).unwrap_or(0);
        let floor = self.get();
        if position < floor {
            tracing::warn!(
                position,
                floor,
                "a new replica connection is behind what the replica has served; refused"
            );
            return Err(sqlx::Error::Protocol(format!(
                "the replica is at WAL position {position}, behind {floor} it had replayed \
                 before (restarted behind its last position); refused until it catches up"
            )));
        }
        self.raise(position);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_only_rises() {
        let floor = ReplayFloor::default();
        assert_eq!(floor.get(), 0);
        floor.raise(10);
        floor.raise(4);
        assert_eq!(
            floor.get(),
            10,
            "a lower measurement does not lower the floor"
        );
        floor.raise(12);
        assert_eq!(floor.get(), 12);
    }
}
