//! The generic cell rate algorithm: a key's state is one instant, its theoretical arrival
//! time (TAT), the time at which its budget would be whole again had it spent at exactly the
//! quota's rate. A request costs one interval (`window / limit`) and is allowed if, after
//! paying it, the TAT is at most a window (`limit` intervals) ahead of now. No counters, no window edges: a key
//! can never spend more than `limit + elapsed / interval` requests over any stretch of time.

use std::time::Duration;

use super::{Decision, Quota};

/// GCRA on microsecond instants (any epoch, as long as one key's instants share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra;

impl Gcra {
    /// The decision for a request at `now` of a key whose TAT is `tat` (`None`: never seen,
    /// or forgotten), and the TAT to store if it was allowed.
    pub fn decide(tat: Option<u64>, now: u64, quota: Quota) -> (Decision, Option<u64>) {
        let interval = quota.interval_micros();
        let window = quota.span_micros();
        let start = tat.map_or(now, |tat| tat.max(now));
        let next = start.saturating_add(interval);
        let ahead = next - now;
        if ahead > window {
            let retry_after = ahead - window;
            return (Gcra::limited(retry_after), None);
        }
        (Gcra::allowed(quota, ahead), Some(next))
    }

    /// The decision of an allowed request that left the key's TAT `ahead` µs after now.
    pub fn allowed(quota: Quota, ahead: u64) -> Decision {
        let interval = quota.interval_micros();
        let spare = quota.span_micros().saturating_sub(ahead) / interval;
        Decision::Allowed {
            remaining: u32::try_from(spare).unwrap_or(u32::MAX).min(quota.limit),
            reset: Duration::from_micros(ahead),
        }
    }

    /// The decision of a refused request that may be retried in `retry_after` µs.
    pub fn limited(retry_after: u64) -> Decision {
        Decision::Limited {
            retry_after: Duration::from_micros(retry_after.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(limit: u32, millis: u64) -> Quota {
        Quota::new(limit, Duration::from_millis(millis)).expect("a quota")
    }

    #[test]
    fn a_fresh_key_bursts_its_whole_limit_then_waits_one_interval() {
        let q = quota(4, 1000);
        let mut tat = None;
        for left in (0..4).rev() {
            let (decision, next) = Gcra::decide(tat, 0, q);
            assert!(
                matches!(decision, Decision::Allowed { remaining, .. } if remaining == left),
                "{decision:?}"
            );
            tat = next;
        }
        let (decision, next) = Gcra::decide(tat, 0, q);
        assert_eq!(
            decision,
            Decision::Limited {
                retry_after: Duration::from_millis(250)
            }
        );
        assert_eq!(next, None);
        assert!(Gcra::decide(tat, 250_000, q).0.is_allowed());
        assert!(!Gcra::decide(tat, 249_999, q).0.is_allowed());
    }
}
