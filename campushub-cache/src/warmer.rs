//! Warming: application-chosen loads run at start and on an interval, so the first requests
//! after a deploy (or after L1 was flushed) hit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use campushub_core::{Cache, Result as CoreResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::tiered::TieredCache;

/// One set to preload, such as "all departments" or "the 100 most recently updated students".
///
/// A job loads through [`Cache::get_or_load`] (directly, or through a service configured with
/// this cache), so warming obeys the same no-stale-set rules as any read.
#[async_trait]
pub trait WarmJob: Send + Sync {
    /// A name for logs.
    fn name(&self) -> &str;

    /// Loads the set into `cache`; returns how many entries it touched.
    async fn warm(&self, cache: &dyn Cache) -> CoreResult<u64>;
}

/// The future a closure job ([`Warmer::job_fn`]) returns.
pub type WarmFuture = Pin<Box<dyn Future<Output = CoreResult<u64>> + Send>>;

enum Job {
    Trait(Arc<dyn WarmJob>),
    Closure {
        name: String,
        run: Arc<dyn Fn(Arc<dyn Cache>) -> WarmFuture + Send + Sync>,
    },
}

/// Runs warming jobs once ([`Warmer::run_once`]) or at start and on an interval
/// ([`Warmer::start`]).
pub struct Warmer {
    cache: TieredCache,
    jobs: Vec<Job>,
    interval: Duration,
}

/// A running warmer; [`WarmerHandle::stop`] ends it.
pub struct WarmerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Job {
    fn name(&self) -> &str {
        match self {
            Job::Trait(job) => job.name(),
            Job::Closure { name, .. } => name,
        }
    }
}

impl std::fmt::Debug for Warmer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let jobs: Vec<&str> = self.jobs.iter().map(Job::name).collect();
        f.debug_struct("Warmer")
            .field("cache", &self.cache)
            .field("jobs", &jobs)
            .field("interval", &self.interval)
            .finish()
    }
}

impl std::fmt::Debug for WarmerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarmerHandle")
            .field("finished", &self.task.is_finished())
            .finish_non_exhaustive()
    }
}

impl Warmer {
    /// A warmer for `cache` with no jobs, repeating every 5 minutes once started.
    pub fn new(cache: TieredCache) -> Self {
        Warmer {
            cache,
            jobs: Vec::new(),
            interval: Duration::from_secs(300),
        }
    }

    /// Adds a job.
    pub fn job(mut self, job: Arc<dyn WarmJob>) -> Self {
        self.jobs.push(Job::Trait(job));
        self
    }

    /// Adds a closure job: it receives the cache and returns how many entries it loaded.
    pub fn job_fn<F>(mut self, name: impl Into<String>, run: F) -> Self
    where
        F: Fn(Arc<dyn Cache>) -> WarmFuture + Send + Sync + 'static,
    {
        self.jobs.push(Job::Closure {
            name: name.into(),
            run: Arc::new(run),
        });
        self
    }

    /// Repeats every `interval` once started.
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Runs every job once, in order; a failing job is logged and the others still run.
    /// Returns the entries loaded.
    pub async fn run_once(&self) -> u64 {
        let mut loaded = 0;
        for job in &self.jobs {
            let name = job.name();
            let outcome = match job {
                Job::Trait(job) => job.warm(&self.cache).await,
                Job::Closure { run, .. } => {
                    let cache: Arc<dyn Cache> = Arc::new(self.cache.clone());
                    run(cache).await
                }
            };
            match outcome {
                Ok(count) => loaded += count,
                Err(error) => tracing::warn!(job = name, %error, "cache warming job failed"),
            }
        }
        self.cache.record_warming(loaded);
        loaded
    }

    /// Runs the jobs now and then every interval, on a Tokio task, until stopped.
    pub fn start(self) -> WarmerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {
                        self.run_once().await;
                    }
                    _ = stopped.changed() => return,
                }
            }
        });
        WarmerHandle { stop, task }
    }
}

impl WarmerHandle {
    /// Stops the warmer (a run in progress finishes first) and waits for it.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        // A task that panicked has nothing left to stop.
        let _ = self.task.await;
    }
}
