//! Faults: a seeded plan (one fault at a time, each held a few seconds, with quiet gaps
//! between them) and its injection into the services and instances, recording when each
//! fault really began and when it was healed.

use std::time::Duration;

use campushub::server::Rng;

use super::history::{Clock, Micros};
use super::instances::Node;
use crate::support::dedicated::Dedicated;
use crate::support::TestDb;
use campushub_testkit::Relay;

/// The generator stream of the fault plan (clients use streams 0, 1, …).
const PLAN_STREAM: u64 = u64::MAX;

/// No fault starts earlier: the instances' caches and connections settle first.
const WARM_UP: Duration = Duration::from_secs(2);

/// No fault is planned to end later than this before the workload ends, so that the run
/// ends on a quiet stretch.
const QUIET_END: Duration = Duration::from_secs(5);

/// The shortest quiet stretch between two faults, even when an injection took longer than
/// planned.
const MIN_GAP: Duration = Duration::from_secs(2);

/// A fault the checker injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Redis stopped, then started again (empty: it keeps nothing on disk).
    RedisDown,
    /// The replica's WAL replay paused, then resumed.
    ReplayPaused,
    /// The replica stopped (immediate shutdown), then started again.
    ReplicaDown,
    /// Instance 0 (A) or 1 (B) sent `SIGTERM`, waited for, and started again on its port.
    Restart(u8),
    /// Redis unreachable from instance A only (its relay cut), then reachable again.
    RedisCutFromA,
}

impl Fault {
    /// Every fault, in report order.
    pub const ALL: [Fault; 6] = [
        Fault::RedisDown,
        Fault::ReplayPaused,
        Fault::ReplicaDown,
        Fault::Restart(0),
        Fault::Restart(1),
        Fault::RedisCutFromA,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::RedisDown => "Redis stopped",
            Fault::ReplayPaused => "replica replay paused",
            Fault::ReplicaDown => "replica stopped",
            Fault::Restart(0) => "instance A restarted",
            Fault::Restart(_) => "instance B restarted",
            Fault::RedisCutFromA => "Redis unreachable from A",
        }
    }

    /// How long injecting and healing take besides the hold (starting a replica, spawning
    /// an instance), for planning.
    fn overhead(self) -> Duration {
        match self {
            Fault::Restart(_) => Duration::from_secs(3),
            Fault::ReplicaDown | Fault::RedisDown => Duration::from_secs(1),
            Fault::ReplayPaused | Fault::RedisCutFromA => Duration::ZERO,
        }
    }
}

/// A fault of the plan.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// The fault.
    pub fault: Fault,
    /// When it starts, from the workload's start.
    pub at: Duration,
    /// How long it is held before being healed (for a restart: how long the instance stays
    /// down after it exited).
    pub hold: Duration,
}

/// A fault as it happened.
#[derive(Debug, Clone)]
pub struct Injected {
    /// The fault.
    pub fault: Fault,
    /// When its injection began.
    pub start: Micros,
    /// When its healing was complete (the service answers, the instance is healthy).
    pub end: Micros,
    /// What was observed (exit status and time of a restarted instance).
    pub detail: String,
}

/// The plan of a run of `length` for `seed`: the faults in shuffled rounds of all six, so
/// that a run of a minute sees most of them, and a longer run each many times.
pub fn plan(seed: u64, length: Duration) -> Vec<Planned> {
    let mut rng = Rng::stream(seed, PLAN_STREAM);
    let ms = Duration::from_millis;
    let mut plan = Vec::new();
    let mut round: Vec<Fault> = Vec::new();
    let mut at = WARM_UP;
    loop {
        if round.is_empty() {
            round = Fault::ALL.to_vec();
            rng.shuffle(&mut round);
        }
        let Some(fault) = round.pop() else { break };
        let hold = match fault {
            Fault::Restart(_) => ms(rng.between(200, 1500)),
            _ => ms(rng.between(1500, 3500)),
        };
        if at + hold + fault.overhead() + QUIET_END > length {
            break;
        }
        plan.push(Planned { fault, at, hold });
        // Gaps longer than the recovery window leave quiet stretches, where reads are held
        // to the 1 s bound, between faults.
        at += hold + fault.overhead() + ms(rng.between(3500, 6000));
    }
    plan
}

/// What faults act on.
pub struct Targets<'a> {
    /// The primary, replica and Redis of the run.
    pub dedicated: &'a Dedicated,
    /// The run's database (to pause replay on the replica).
    pub db: &'a TestDb,
    /// The relay between A and Redis.
    pub proxy: &'a Relay,
    /// The instances.
    pub nodes: &'a mut [Node; 2],
}

/// Injects `plan` (its instants counted from `origin` on `clock`), each fault after the
/// previous one is healed, skipping those that would no longer end before `length`.
pub async fn inject(
    plan: &[Planned],
    targets: Targets<'_>,
    clock: Clock,
    origin: Micros,
    length: Duration,
) -> Vec<Injected> {
    let Targets {
        dedicated,
        db,
        proxy,
        nodes,
    } = targets;
    let since_origin = || Duration::from_micros(clock.now().saturating_sub(origin));
    let mut done: Vec<Injected> = Vec::new();
    for planned in plan {
        let earliest = done
            .last()
            .map(|last| Duration::from_micros(last.end - origin) + MIN_GAP)
            .unwrap_or_default();
        let begin = planned.at.max(earliest);
        if begin + planned.hold + planned.fault.overhead() + QUIET_END > length {
            break;
        }
        tokio::time::sleep(begin.saturating_sub(since_origin())).await;
        let start = clock.now();
        let detail = match planned.fault {
            Fault::RedisDown => {
                services(dedicated, "redis-stop").await;
                tokio::time::sleep(planned.hold).await;
                services(dedicated, "redis-start").await;
                String::new()
            }
            Fault::ReplicaDown => {
                services(dedicated, "replica-stop").await;
                tokio::time::sleep(planned.hold).await;
                services(dedicated, "replica-start").await;
                String::new()
            }
            Fault::ReplayPaused => {
                db.on_replica("SELECT pg_wal_replay_pause()").await;
                tokio::time::sleep(planned.hold).await;
                db.on_replica("SELECT pg_wal_replay_resume()").await;
                String::new()
            }
            Fault::RedisCutFromA => {
                proxy.cut();
                tokio::time::sleep(planned.hold).await;
                proxy.restore();
                String::new()
            }
            Fault::Restart(n) => {
                let node = &mut nodes[usize::from(n)];
                let (status, took) = node.terminate().await;
                tokio::time::sleep(planned.hold).await;
                let down = clock.now();
                node.respawn().await;
                format!(
                    "exited {} after SIGTERM in {} ms; respawned in {} ms",
                    status.map_or("(unknown)".to_owned(), |s| s.to_string()),
                    took.as_millis(),
                    (clock.now() - down) / 1000
                )
            }
        };
        done.push(Injected {
            fault: planned.fault,
            start,
            end: clock.now(),
            detail,
        });
    }
    done
}

/// Runs the services script's `action` on the run's services; panics when it fails (the run
/// could no longer say what it tested).
async fn services(dedicated: &Dedicated, action: &str) {
    let status = tokio::process::Command::from(dedicated.command(action))
        .status()
        .await;
    match status {
        Ok(status) if status.success() => {}
        other => panic!("services script `{action}` failed: {other:?}"),
    }
}
