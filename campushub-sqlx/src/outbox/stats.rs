//! What a relay reports: how much it delivered, how often a round failed, and how old the oldest
//! pending change was at its last round (the delay an invalidation waits in the outbox).

use std::sync::atomic::{AtomicU64, Ordering};

/// A relay's counters, shared with whoever reports them (`/metrics`). Recording takes no lock.
#[derive(Debug, Default)]
pub struct RelayStats {
    delivered: AtomicU64,
    failed_rounds: AtomicU64,
    oldest_pending_micros: AtomicU64,
}

/// A copy of [`RelayStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelaySnapshot {
    /// Outbox rows this relay delivered and deleted since it started.
    pub delivered: u64,
    /// Rounds that failed (the database unreachable, say); their rows wait for the next one.
    pub failed_rounds: u64,
    /// The age, in microseconds, of the oldest change pending at the last round this relay
    /// made (0 when there was none, or when another instance's relay was delivering).
    pub oldest_pending_micros: u64,
}

impl RelayStats {
    /// The counters now.
    pub fn snapshot(&self) -> RelaySnapshot {
        RelaySnapshot {
            delivered: self.delivered.load(Ordering::Relaxed),
            failed_rounds: self.failed_rounds.load(Ordering::Relaxed),
            oldest_pending_micros: self.oldest_pending_micros.load(Ordering::Relaxed),
        }
    }

    pub(super) fn delivered(&self, rows: usize, oldest_pending_micros: u64) {
        self.delivered.fetch_add(rows as u64, Ordering::Relaxed);
        self.oldest_pending_micros
            .store(oldest_pending_micros, Ordering::Relaxed);
    }

    pub(super) fn failed(&self) {
        self.failed_rounds.fetch_add(1, Ordering::Relaxed);
    }
}
