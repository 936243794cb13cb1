//! Statement counting: per request scope (for "retrieve = 1 statement" tests) and per pool
//! (for `/metrics`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static SCOPE: Arc<Mutex<BTreeMap<String, u64>>>;
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
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let output = SCOPE.scope(counts.clone(), work).await;
        let by_pool = counts.lock().map(|m| m.clone()).unwrap_or_default();
        (output, StatementCounts { by_pool })
    }
}

/// Statements sent within one [`StatementCounter::scope`], by pool name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementCounts {
    /// Pool name (`primary`, `replica-0`, `analytics`, `sqlite`) → statements.
    pub by_pool: BTreeMap<String, u64>,
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
    pub(crate) name: String,
    statements: AtomicU64,
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
    /// The last measured replay position (replicas) or 0.
    pub replay_position: u64,
    /// The last measured lag in microseconds (replicas) or 0.
    pub lag_micros: u64,
}

#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
impl PoolCounters {
    pub(crate) fn new(name: impl Into<String>) -> Self {
        PoolCounters {
            name: name.into(),
            statements: AtomicU64::new(0),
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
            if let Ok(mut map) = scope.lock() {
                *map.entry(self.name.clone()).or_default() += 1;
            }
        });
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one statement, runs it (`run` is not polled before), and counts an error if it
    /// fails: the bookkeeping around every statement a pool sends.
    pub(crate) async fn counted<T, E>(
        &self,
        run: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.statement();
        run.await.inspect_err(|_| self.error())
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

    pub(crate) fn snapshot(&self) -> PoolStats {
        PoolStats {
            name: self.name.clone(),
            statements: self.statements.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            ejections: self.ejections.load(Ordering::Relaxed),
            readmissions: self.readmissions.load(Ordering::Relaxed),
            healthy: self.is_healthy(),
            replay_position: self.replay_position.load(Ordering::Relaxed),
            lag_micros: self.lag_micros.load(Ordering::Relaxed),
        }
    }
}
