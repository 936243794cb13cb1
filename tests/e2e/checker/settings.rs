//! What a checker run does, read from `CAMPUSHUB_CHECKER_*` variables.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use campushub::server::Rng;

/// The settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Every random choice derives from it (`CAMPUSHUB_CHECKER_SEED`, decimal or `0x…`).
    pub seed: u64,
    /// How long the workload runs (`CAMPUSHUB_CHECKER_SECONDS`, default 60).
    pub duration: Duration,
    /// Concurrent logical clients (`CAMPUSHUB_CHECKER_CLIENTS`, default 16).
    pub clients: usize,
    /// How stale a read without a token may be normally: the promise is one second.
    pub bound: Duration,
    /// How stale it may be while a fault is active (`CAMPUSHUB_CHECKER_FAULT_BOUND`, seconds,
    /// default 5: Redis calls time out after 250 ms and L1 entries are trusted for 3 s while
    /// the invalidation channel is down, a replica lagging over 1 s leaves rotation within the
    /// next 1 s probe).
    pub fault_bound: Duration,
    /// How long after a fault ends the fault bound still applies
    /// (`CAMPUSHUB_CHECKER_RECOVERY`, seconds, default 3: the invalidation channel reconnects
    /// with a backoff of at most 1 s and the Redis circuit breaker cools down for 2 s).
    pub recovery: Duration,
    /// Whether faults are injected (`CAMPUSHUB_CHECKER_FAULTS`, default `on`).
    pub faults: bool,
    /// Where the Markdown report is written besides stdout (`CAMPUSHUB_CHECKER_REPORT`).
    pub report: Option<PathBuf>,
}

impl Settings {
    /// The settings from the environment; panics on a malformed value (naming the variable).
    pub fn from_env() -> Settings {
        Settings {
            seed: var("CAMPUSHUB_CHECKER_SEED", parse_seed).unwrap_or_else(fresh_seed),
            duration: Duration::from_secs(var("CAMPUSHUB_CHECKER_SECONDS", plain).unwrap_or(60)),
            clients: var("CAMPUSHUB_CHECKER_CLIENTS", plain).unwrap_or(16),
            bound: Duration::from_secs(1),
            fault_bound: seconds(var("CAMPUSHUB_CHECKER_FAULT_BOUND", plain).unwrap_or(5.0)),
            recovery: seconds(var("CAMPUSHUB_CHECKER_RECOVERY", plain).unwrap_or(3.0)),
            faults: var("CAMPUSHUB_CHECKER_FAULTS", |v| match v {
                "on" | "true" | "1" => Some(true),
                "off" | "false" | "0" => Some(false),
                _ => None,
            })
            .unwrap_or(true),
            report: std::env::var_os("CAMPUSHUB_CHECKER_REPORT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// The line that replays this run.
    pub fn replay(&self) -> String {
        format!(
            "replay with CAMPUSHUB_CHECKER_SEED={} CAMPUSHUB_CHECKER_SECONDS={}",
            self.seed,
            self.duration.as_secs()
        )
    }
}

fn var<T>(name: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    let value = std::env::var(name).ok().filter(|v| !v.trim().is_empty())?;
    Some(parse(value.trim()).unwrap_or_else(|| panic!("{name}: `{value}` is not valid")))
}

fn plain<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.parse().ok()
}

fn parse_seed(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(value.max(0.0))
}

/// A seed for a run that was not given one: the clock's nanoseconds and the process id, mixed.
pub fn fresh_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Rng::stream(nanos, u64::from(std::process::id())).next_u64()
}
