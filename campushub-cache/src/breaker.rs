//! The circuit breaker in front of Redis: after repeated failures, skip Redis for a cool-down,
//! then let one request probe it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Redis is used.
    Closed,
    /// Redis is skipped until the cool-down ends.
    Open,
    /// One request is probing Redis.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { since: Instant },
}

/// Counts consecutive failures and decides whether Redis may be tried.
#[derive(Debug)]
pub(crate) struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    cool_down: Duration,
}

/// What a failure did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tripped {
    /// The breaker was already open or stays closed.
    No,
    /// This failure opened it.
    Yes,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` consecutive failures for `cool_down`.
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Self {
        Breaker {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            cool_down,
        }
    }

    /// Whether the caller may try Redis now. After the cool-down the first caller becomes the
    /// probe; a probe that never reports back is replaced after another cool-down.
    pub(crate) fn allow(&self) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { since } if now.duration_since(since) >= self.cool_down => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } | State::HalfOpen { .. } => false,
        }
    }

    /// Redis answered.
    pub(crate) fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    /// Redis failed or timed out.
    pub(crate) fn failure(&self) -> Tripped {
        let mut state = self.lock();
        let open = State::Open {
            until: Instant::now() + self.cool_down,
        };
        match *state {
            State::Closed { failures } if failures + 1 < self.threshold => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                Tripped::No
            }
            State::Closed { .. } | State::HalfOpen { .. } => {
                *state = open;
                Tripped::Yes
            }
            State::Open { .. } => Tripped::No,
        }
    }

    /// The current state, for metrics.
    pub(crate) fn state(&self) -> CircuitState {
        match *self.lock() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { .. } => CircuitState::Open,
            State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_probes_after_cool_down() {
        let breaker = Breaker::new(2, Duration::ZERO);
        assert_eq!(breaker.failure(), Tripped::No);
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(breaker.failure(), Tripped::Yes);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(breaker.allow(), "zero cool-down: the next caller probes");
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        breaker.success();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn open_breaker_refuses_during_cool_down() {
        let breaker = Breaker::new(1, Duration::from_secs(3600));
        assert_eq!(breaker.failure(), Tripped::Yes);
        assert!(!breaker.allow());
    }
}
