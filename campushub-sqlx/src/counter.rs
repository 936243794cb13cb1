//! Statement counting: per request scope (for "retrieve = 1 statement" tests and the
//! per-route duration histograms) and per pool (for `/metrics`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

tokio::task_local! {
    static SCOPE: Arc<Mutex<StatementCounts>>;
}

/// Counts the statements a piece of work sends, by pool.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use campushub_sqlx::StatementCounter;
/// let (value, counts) = StatementCounter::scope(async { 42 }).await;
/// assert_eq!((value, counts.total()), (42, 0));
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StatementCounter;

impl StatementCounter {
    /// Runs `work` and returns its output with the statements it sent (in this task; work
    /// spawned onto other tasks is not counted).
    pub async fn scope<F: Future>(work: F) -> (F::Output, StatementCounts) {
        let counts = Arc::new(Mutex::new(StatementCounts::default()));
        let output = SCOPE.scope(Arc::clone(&counts), work).await;
        let counts = counts.lock().map(|c| c.clone()).unwrap_or_default();
        (output, counts)
    }
}

/// Statements sent within one [`StatementCounter::scope`], by pool name, and how long each
/// took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementCounts {
    /// Pool name (`primary`, `replica-0`, `analytics`, `sqlite`) → statements.
    pub by_pool: BTreeMap<String, u64>,
    /// Each statement that finished (succeeded or failed), in the order they finished.
    pub timings: Vec<StatementTiming>,
}

/// How long one statement took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTiming {
    /// The pool it ran on.
    pub pool: Arc<str>,
    /// The time spent waiting for a connection (zero when the statement ran on a connection
    /// or transaction already held).
    pub wait: Duration,
    /// The whole statement: the wait, sending it, and receiving and decoding its rows.
    pub elapsed: Duration,
}

impl StatementCounts {
    /// Statements on all pools.
    pub fn total(&self) -> u64 {
        self.by_pool.values().sum()
    }

    /// Statements on pool `name`.
    pub fn on(&self, name: &str) -> u64 {
        self.by_pool.get(name).copied().unwrap_or(0)
    }
}

/// Live counters of one pool (of a backend: without one, none is made).
#[derive(Debug)]
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
pub(crate) struct PoolCounters {
    pub(crate) name: Arc<str>,
    /// The database product, as OpenTelemetry names it (`postgresql`, `sqlite`).
    pub(crate) system: &'static str,
    statements: AtomicU64,
    pub(crate) slow_statements: AtomicU64,
    /// Statements slower than this many microseconds are reported (`u64::MAX`: none).
    pub(crate) slow_threshold_micros: AtomicU64,
    errors: AtomicU64,
    reads: AtomicU64,
    retries: AtomicU64,
    ejections: AtomicU64,
    readmissions: AtomicU64,
    pub(crate) healthy: AtomicBool,
    pub(crate) replay_position: AtomicU64,
    lag_micros: AtomicU64,
}

/// A snapshot of one pool's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStats {
    /// The pool's name (`primary`, `replica-0`, `analytics`, `sqlite`).
    pub name: String,
    /// Statements sent (health probes excluded).
    pub statements: u64,
    /// Statements that failed.
    pub errors: u64,
    /// Statements slower than the pool's slow-statement threshold.
    pub slow_statements: u64,
    /// Reads this pool served.
    pub reads: u64,
    /// Reads that failed here with a connection error and were retried elsewhere.
    pub retries: u64,
    /// Times the health check (or a failed read) took this replica out of rotation.
    pub ejections: u64,
    /// Times the health check put it back.
    pub readmissions: u64,
    /// Whether the pool is in rotation now.
    pub healthy: bool,
    /// Whether the pool's server replays the primary: every replica, and the analytics
    /// database when the health check found it a standby of the primary. Such a pool's
    /// replay position and lag are measured, and reads with a token go there once it has
    /// replayed that far; the analytics database otherwise serves only token-less reads.
    pub follows_primary: bool,
    /// The last measured replay position (pools that follow the primary) or 0.
    pub replay_position: u64,
    /// The last measured lag in microseconds (pools that follow the primary) or 0.
    pub lag_micros: u64,
    /// Connections open now, in use or idle.
    pub connections: u32,
    /// Of those, the idle ones.
    pub idle_connections: u32,
    /// The most the pool opens.
    pub max_connections: u32,
}

/// The slow-statement threshold of a new pool: a primary-key read or a page of a list takes
/// under 5 ms on the reference machine; 100 ms is well above that and well below what a user
/// notices.
pub const DEFAULT_SLOW_STATEMENT: Duration = Duration::from_millis(100);

#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
impl PoolCounters {
    pub(crate) fn new(name: &str, system: &'static str) -> Self {
        PoolCounters {
            name: name.into(),
            system,
            statements: AtomicU64::new(0),
            slow_statements: AtomicU64::new(0),
            slow_threshold_micros: AtomicU64::new(threshold_micros(Some(DEFAULT_SLOW_STATEMENT))),
            errors: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            ejections: AtomicU64::new(0),
            readmissions: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            replay_position: AtomicU64::new(0),
            lag_micros: AtomicU64::new(0),
        }
    }

    /// One statement sent, counted globally and in the current scope.
    pub(crate) fn statement(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let _ = SCOPE.try_with(|scope| {
            if let Ok(mut counts) = scope.lock() {
                // The pool's name is allocated once per scope, not per statement.
                match counts.by_pool.get_mut(&*self.name) {
                    Some(count) => *count += 1,
                    None => {
                        counts.by_pool.insert(self.name.to_string(), 1);
                    }
                }
            }
        });
    }

    /// One statement finished after `elapsed`, `wait` of it for a connection: recorded in the
    /// current scope.
    pub(crate) fn finished(&self, wait: Duration, elapsed: Duration) {
        let _ = SCOPE.try_with(|scope| {
            if let Ok(mut counts) = scope.lock() {
                counts.timings.push(StatementTiming {
                    pool: Arc::clone(&self.name),
                    wait,
                    elapsed,
                });
            }
        });
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets the slow-statement threshold (`None`: no statement is reported as slow).
    pub(crate) fn set_slow_threshold(&self, threshold: Option<Duration>) {
        self.slow_threshold_micros
            .store(threshold_micros(threshold), Ordering::Relaxed);
    }

    pub(crate) fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn lag(&self, micros: u64) {
        self.lag_micros.store(micros, Ordering::Relaxed);
    }

    /// Sets health; counts the transition.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn set_healthy(&self, healthy: bool) {
        let was = self.healthy.swap(healthy, Ordering::AcqRel);
        match (was, healthy) {
            (true, false) => self.ejections.fetch_add(1, Ordering::Relaxed),
            (false, true) => self.readmissions.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// The counters, with the connections of `pool` (the pool they count).
    pub(crate) fn snapshot<DB: sqlx::Database>(&self, pool: &sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            name: self.name.to_string(),
            statements: self.statements.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            slow_statements: self.slow_statements.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            ejections: self.ejections.load(Ordering::Relaxed),
            readmissions: self.readmissions.load(Ordering::Relaxed),
            healthy: self.is_healthy(),
            follows_primary: false,
            replay_position: self.replay_position.load(Ordering::Relaxed),
            lag_micros: self.lag_micros.load(Ordering::Relaxed),
            connections: pool.size(),
            idle_connections: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max_connections: pool.options().get_max_connections(),
        }
    }
}

/// `threshold` in whole microseconds, `u64::MAX` for none.
fn threshold_micros(threshold: Option<Duration>) -> u64 {
    threshold.map_or(u64::MAX, |t| {
        u64::try_from(t.as_micros()).unwrap_or(u64::MAX)
    })
}
