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
//!
//! The analytics database keeps a floor too, but only while the probe finds it a standby of
//! the primary: only then does it serve reads by token, and only then do its positions say
//! anything about tokens. Another server's positions (a database fed by ETL, restored from
//! a backup) may go back legitimately, and a floor would lock it out for good.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::PgConnection;

use super::positions::REPLAY_POSITION;

/// The highest replay position a replica has shown: raised by every measurement, never
/// lowered; enforced on new connections while it is kept.
#[derive(Debug)]
pub(super) struct ReplayFloor {
    position: AtomicU64,
    kept: AtomicBool,
}

impl ReplayFloor {
    /// A replica's floor, kept from the start: a configured replica follows the primary.
    pub(super) fn kept() -> Self {
        ReplayFloor {
            position: AtomicU64::new(0),
            kept: AtomicBool::new(true),
        }
    }

    /// The analytics database's floor, kept once the probe finds the server a standby of the
    /// primary ([`ReplayFloor::keep`]).
    pub(super) fn dormant() -> Self {
        ReplayFloor {
            position: AtomicU64::new(0),
            kept: AtomicBool::new(false),
        }
    }

    /// Whether the server follows the primary (its positions compare with tokens), and so
    /// whether the floor is enforced; returns whether that changed.
    pub(super) fn keep(&self, kept: bool) -> bool {
        self.kept.swap(kept, Ordering::AcqRel) != kept
    }

    /// Whether the floor is enforced: the server follows the primary.
    pub(super) fn is_kept(&self) -> bool {
        self.kept.load(Ordering::Acquire)
    }

    /// Records that the replica has replayed up to `position`.
    pub(super) fn raise(&self, position: u64) {
        self.position.fetch_max(position, Ordering::AcqRel);
    }

    /// The position every new connection must be at or past.
    pub(super) fn get(&self) -> u64 {
        self.position.load(Ordering::Acquire)
    }

    /// The replica pool's `after_connect` check: measures the new connection's replay
    /// position and refuses the connection if it is below the floor (the pool then retries
    /// until its acquire timeout, and the read that waited is retried on the primary).
    pub(super) async fn admit(&self, connection: &mut PgConnection) -> Result<(), sqlx::Error> {
        if !self.is_kept() {
            return Ok(());
        }
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
        let floor = ReplayFloor::kept();
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

    #[test]
    fn a_dormant_floor_is_kept_once_the_server_follows_the_primary() {
        let floor = ReplayFloor::dormant();
        assert!(!floor.is_kept());
        assert!(floor.keep(true), "a change");
        assert!(!floor.keep(true), "no change");
        assert!(floor.is_kept());
        assert!(floor.keep(false));
        assert!(!floor.is_kept());
    }
}
