//! The GCRA budget's arithmetic, over seeded random request sequences
//! (`CAMPUSHUB_GCRA_SEED` replays one): it never allows more than `limit` plus the elapsed
//! time's intervals over any stretch, refuses only what that bound forbids, and the
//! `remaining` and `retry_after` it answers are exact.

use std::time::{Duration, Instant};

use campushub_core::rate_limit::{Decision, Gcra, LocalRateBudget, Quota, RateBudget};
use campushub_testkit::SeededRng;

const SEQUENCES: u64 = 200;

fn random_quota(rng: &mut SeededRng) -> Quota {
    let limit = 1 + rng.below(50) as u32;
    let window = Duration::from_micros(1_000 + rng.below(2_000_000));
    Quota::new(limit, window).expect("a positive quota")
}

/// Request instants, in µs: bursts at one instant, short gaps and long pauses.
fn arrivals(rng: &mut SeededRng, quota: Quota) -> Vec<u64> {
    let interval = quota.interval_micros();
    let mut now = rng.below(1 << 40);
    (0..300)
        .map(|_| {
            now += match rng.below(4) {
                0 => 0,
                1 => rng.below(interval),
                2 => rng.below(4 * interval),
                _ => rng.below(2 * quota.span_micros()),
            };
            now
        })
        .collect()
}

#[test]
fn random_sequences_keep_the_bound_and_refuse_only_what_it_forbids() {
    let seed = SeededRng::seed_from_env("CAMPUSHUB_GCRA_SEED", 0x6C0A);
    let mut rng = SeededRng::new(seed);
    for sequence in 0..SEQUENCES {
        let quota = random_quota(&mut rng);
        let interval = quota.interval_micros();
        let context = format!("seed {seed}, sequence {sequence}, {quota:?}");
        let mut tat = None;
        let mut allowed_at: Vec<u64> = Vec::new();
        for now in arrivals(&mut rng, quota) {
            let (decision, next) = Gcra::decide(tat, now, quota);
            match decision {
                Decision::Allowed { remaining, reset } => {
                    tat = next;
                    allowed_at.push(now);
                    // Exactly `remaining` more fit at this instant.
                    let mut probe = tat;
                    for _ in 0..remaining {
                        let (d, n) = Gcra::decide(probe, now, quota);
                        assert!(d.is_allowed(), "{context}: remaining {remaining} at {now}");
                        probe = n;
                    }
                    assert!(
                        !Gcra::decide(probe, now, quota).0.is_allowed(),
                        "{context}: more than remaining {remaining} at {now}"
                    );
                    // The budget is whole once `reset` has passed.
                    let whole = now + reset.as_micros() as u64;
                    match Gcra::decide(tat, whole, quota).0 {
                        Decision::Allowed { remaining, .. } => {
                            assert_eq!(remaining, quota.limit - 1, "{context}: reset at {now}")
                        }
                        other => panic!("{context}: refused after reset: {other:?}"),
                    }
                }
                Decision::Limited { retry_after } => {
                    assert_eq!(next, None, "{context}");
                    let retry = retry_after.as_micros() as u64;
                    assert!(
                        Gcra::decide(tat, now + retry, quota).0.is_allowed(),
                        "{context}: still refused after retry_after {retry} at {now}"
                    );
                    assert!(
                        retry == 1 || !Gcra::decide(tat, now + retry - 1, quota).0.is_allowed(),
                        "{context}: retry_after {retry} at {now} is longer than needed"
                    );
                }
            }
        }
        // Over any stretch between two allowed requests: at most the limit plus its intervals.
        for (i, start) in allowed_at.iter().enumerate() {
            for (j, end) in allowed_at.iter().enumerate().skip(i) {
                let count = (j - i + 1) as u64;
                let bound = u64::from(quota.limit) + (end - start) / interval;
                assert!(
                    count <= bound,
                    "{context}: {count} allowed in [{start}, {end}], bound {bound}"
                );
            }
        }
    }
}

#[test]
fn a_client_sending_flat_out_gets_the_rate_within_one_percent() {
    let seed = SeededRng::seed_from_env("CAMPUSHUB_GCRA_SEED", 0x6C0B);
    let mut rng = SeededRng::new(seed);
    for _ in 0..SEQUENCES {
        let quota = random_quota(&mut rng);
        let interval = quota.interval_micros();
        let duration = 50 * quota.span_micros();
        let (mut now, mut tat, mut allowed) = (0, None, 0u64);
        while now <= duration {
            let (decision, next) = Gcra::decide(tat, now, quota);
            if decision.is_allowed() {
                allowed += 1;
                tat = next;
            }
            // Each arrival lands at most 1 % of an interval after its slot opens.
            now += 1 + rng.below(interval / 100 + 1);
        }
        let expected = u64::from(quota.limit) + duration / interval;
        assert!(
            allowed <= expected && allowed * 100 + 100 >= expected * 99,
            "seed {seed}, {quota:?}: {allowed} allowed, {expected} expected"
        );
    }
}

#[tokio::test]
async fn local_budgets_are_per_key() {
    let budget = LocalRateBudget::default();
    let quota = Quota::new(3, Duration::from_secs(60)).expect("a quota");
    for _ in 0..3 {
        assert!(budget.spend("a", quota).await.is_allowed());
    }
    assert!(!budget.spend("a", quota).await.is_allowed());
    assert!(budget.spend("b", quota).await.is_allowed());
}

#[test]
fn a_full_local_budget_forgets_only_whole_keys() {
    let budget = LocalRateBudget::new(2);
    let quota = Quota::new(1, Duration::from_secs(1)).expect("a quota");
    let start = Instant::now();
    assert!(budget.spend_at("a", quota, start).is_allowed());
    assert!(budget.spend_at("b", quota, start).is_allowed());
    // Both still owe: a third key is refused, not stored.
    assert!(!budget.spend_at("c", quota, start).is_allowed());
    assert_eq!(budget.len(), 2);
    // A second later both are whole again and forgotten for the new key.
    let later = start + Duration::from_secs(2);
    assert!(budget.spend_at("c", quota, later).is_allowed());
    assert_eq!(budget.len(), 1);
    assert!(budget.spend_at("a", quota, later).is_allowed());
}
