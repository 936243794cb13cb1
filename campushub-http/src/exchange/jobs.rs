//! Imports as jobs: `POST <collection>/import?async=true` (or with `Prefer: respond-async`)
//! answers `202 Accepted` with the job and its `Location`; `GET /api/v1/import-jobs/{id}`
//! shows its state, rows done and total, and once it ran the import's report;
//! `GET /api/v1/import-jobs` lists the caller's jobs (an admin's: everyone's), newest first.
//!
//! The job and its file are kept by an [`ImportJobStore`] (the database, so that any instance
//! can run it and it outlives the instance that took it); a worker per instance
//! ([`ImportJobs::spawn_worker`]) claims jobs under a lease, runs them as their submitter
//! through the same path as the synchronous import, reports progress as it renews the lease,
//! and ends them. See [`campushub_core::exchange::jobs`] for the protocol.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use campushub_core::exchange::jobs::{
    ClaimedJob, ImportJob, ImportJobStore, JobOutcome, JobSubmitter, NewImportJob,
};
use campushub_core::exchange::ImportReport;
use campushub_core::service::{ImportOptions, ImportProgress};
use campushub_core::{BatchMode, Error, Principal, Role};
use futures::future::BoxFuture;
use uuid::Uuid;

use super::format::Format;
use crate::auth::Caller;
use crate::extract::QueryParams;
use crate::list::{json_ok, json_response};
use crate::problem::{ApiResult, Problem};
use crate::routing::{method_not_allowed, route_with_trailing_slash};

/// The path of the jobs' collection.
pub const IMPORT_JOBS_PATH: &str = "/api/v1/import-jobs";

/// How long a worker's lease on a job lasts; it is renewed every third of it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// How often an idle worker looks for a job.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// Most jobs a list answers.
const LIST_LIMIT: usize = 100;

/// What a worker hands the import of one resource.
pub(super) struct RunRequest {
    pub(super) principal: Principal,
    pub(super) file: Vec<u8>,
    pub(super) format: Format,
    pub(super) options: ImportOptions,
    pub(super) progress: Arc<JobProgress>,
}

/// Runs the import of one resource.
pub(super) type Runner =
    Arc<dyn Fn(RunRequest) -> BoxFuture<'static, Result<ImportReport, Problem>> + Send + Sync>;

/// The jobs of a router: where they are kept, and how each resource's import runs. Cheap to
/// clone; give the same one to [`crate::ApiState::import_jobs`] (which serves the routes
/// and lets every resource with exchange routes take jobs) and start its worker with
/// [`ImportJobs::spawn_worker`].
#[derive(Clone)]
pub struct ImportJobs {
    store: Arc<dyn ImportJobStore>,
    runners: Arc<RwLock<HashMap<String, Runner>>>,
}

impl std::fmt::Debug for ImportJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runners = self.runners.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ImportJobs")
            .field("resources", &runners.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ImportJobs {
    /// Jobs kept in `store`.
    pub fn new(store: Arc<dyn ImportJobStore>) -> Self {
        ImportJobs {
            store,
            runners: Arc::default(),
        }
    }

    /// Lets the jobs of `segment` run with `runner` (done as the resource's routes are built).
    pub(super) fn register(&self, segment: &str, runner: Runner) {
        self.runners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(segment.to_owned(), runner);
    }

    /// Queues the import of `file` into `segment` as `principal`; the `202` answer.
    pub(super) async fn submit(
        &self,
        principal: &Principal,
        segment: &str,
        format: Format,
        options: ImportOptions,
        file: Vec<u8>,
    ) -> ApiResult<Response> {
        let job = self
            .store
            .submit(NewImportJob {
                resource: segment.to_owned(),
                format: format.as_str().to_owned(),
                dry_run: options.dry_run,
                mode: mode_name(options.mode).to_owned(),
                submitter: JobSubmitter::of(principal),
                file,
            })
            .await?;
        let body = serde_json::to_string(&job)
            .map_err(|error| Error::internal("a job does not serialize", error))?;
        let mut response = json_response(StatusCode::ACCEPTED, body);
        if let Ok(location) = HeaderValue::try_from(format!("{IMPORT_JOBS_PATH}/{}", job.id)) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        Ok(response)
    }

    /// Starts this instance's worker, named `instance` on the jobs it holds: it runs until
    /// the handle is dropped.
    pub fn spawn_worker(&self, instance: impl Into<String>) -> WorkerHandle {
        self.spawn_worker_with(instance, DEFAULT_POLL, DEFAULT_LEASE)
    }

    /// [`ImportJobs::spawn_worker`] polling every `poll`, under leases of `lease`.
    pub fn spawn_worker_with(
        &self,
        instance: impl Into<String>,
        poll: Duration,
        lease: Duration,
    ) -> WorkerHandle {
        let jobs = self.clone();
        let instance = instance.into();
        WorkerHandle(tokio::spawn(async move {
            loop {
                match jobs.store.claim(&instance, lease).await {
                    Ok(Some(claimed)) => jobs.run(&instance, lease, claimed).await,
                    Ok(None) => tokio::time::sleep(poll).await,
                    Err(error) => {
                        tracing::warn!(%error, "import jobs: claiming failed");
                        tokio::time::sleep(poll).await;
                    }
                }
            }
        }))
    }

    /// Runs one claimed job to its end, renewing the lease as it goes.
    async fn run(&self, instance: &str, lease: Duration, claimed: ClaimedJob) {
        let ClaimedJob { job, file } = claimed;
        let progress = Arc::new(JobProgress::default());
        let renewals = self.renew(instance, lease, job.id, Arc::clone(&progress));
        let report = self.attempt(&job, file, Arc::clone(&progress)).await;
        renewals.abort();
        if report.is_ok() {
            // Progress is told every thousand rows: a finished job has done them all.
            let (_, total) = progress.snapshot();
            let done = total.unwrap_or_default();
            if let Err(error) = self
                .store
                .heartbeat(job.id, instance, lease, done, total)
                .await
            {
                tracing::warn!(job = %job.id, %error, "import jobs: recording progress failed");
            }
        }
        let outcome = match report {
            Ok(report) => JobOutcome::Succeeded(report),
            Err(why) => JobOutcome::Failed(why),
        };
        match self.store.finish(job.id, instance, outcome).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %job.id, "import jobs: the lease ran out before the job ended")
            }
            Err(error) => tracing::warn!(job = %job.id, %error, "import jobs: ending a job failed"),
        }
    }

    /// Runs `job`'s import: its report, or why it could not run.
    async fn attempt(
        &self,
        job: &ImportJob,
        file: Vec<u8>,
        progress: Arc<JobProgress>,
    ) -> Result<serde_json::Value, String> {
        let runner = self
            .runner(&job.resource)
            .ok_or_else(|| format!("this instance serves no import of `{}`", job.resource))?;
        let report = runner(request_of(job, file, progress)?)
            .await
            .map_err(|problem| problem.detail)?;
        serde_json::to_value(&report).map_err(|error| error.to_string())
    }

    /// A task renewing the lease on job `id` every third of `lease`, with the progress made.
    fn renew(
        &self,
        instance: &str,
        lease: Duration,
        id: Uuid,
        progress: Arc<JobProgress>,
    ) -> tokio::task::JoinHandle<()> {
        let store = Arc::clone(&self.store);
        let instance = instance.to_owned();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let (done, total) = progress.snapshot();
                match store.heartbeat(id, &instance, lease, done, total).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = %id, "import jobs: another instance took the job over");
                        return;
                    }
                    Err(error) => tracing::warn!(job = %id, %error, "import jobs: renewing failed"),
                }
            }
        })
    }

    fn runner(&self, resource: &str) -> Option<Runner> {
        self.runners
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(resource)
            .cloned()
    }

    /// The routes `GET /api/v1/import-jobs` and `GET /api/v1/import-jobs/{id}`.
    pub(crate) fn routes(&self) -> Router {
        let mut router = route_with_trailing_slash(Router::new(), IMPORT_JOBS_PATH, get(list));
        router =
            route_with_trailing_slash(router, &format!("{IMPORT_JOBS_PATH}/{{id}}"), get(retrieve));
        router
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self.clone())
    }
}

/// Stops a worker when dropped.
#[derive(Debug)]
pub struct WorkerHandle(tokio::task::JoinHandle<()>);

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running job's progress, as the import reports it.
#[derive(Debug)]
pub(super) struct JobProgress {
    done: AtomicI64,
    /// The file's data rows; negative until read.
    total: AtomicI64,
}

impl Default for JobProgress {
    fn default() -> Self {
        JobProgress {
            done: AtomicI64::new(0),
            total: AtomicI64::new(-1),
        }
    }
}

impl JobProgress {
    /// The file has `rows` data rows.
    pub(super) fn total(&self, rows: usize) {
        self.total
            .store(i64::try_from(rows).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    fn snapshot(&self) -> (i64, Option<i64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.done.load(Ordering::Relaxed),
            (total >= 0).then_some(total),
        )
    }
}

impl ImportProgress for JobProgress {
    fn checked(&self, rows: usize) {
        self.done
            .fetch_add(i64::try_from(rows).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    fn writing(&self, _rows: usize) {}
}

/// The run of `job`, or why it cannot run (a format or mode this version does not know).
fn request_of(
    job: &ImportJob,
    file: Vec<u8>,
    progress: Arc<JobProgress>,
) -> Result<RunRequest, String> {
    let format = Format::parse(&job.format)
        .ok_or_else(|| format!("unknown file format `{}`", job.format))?;
    let mode = mode_of(&job.mode).ok_or_else(|| format!("unknown import mode `{}`", job.mode))?;
    Ok(RunRequest {
        principal: job.submitter.principal(),
        file,
        format,
        options: ImportOptions {
            dry_run: job.dry_run,
            mode,
        },
        progress,
    })
}

/// The name of `mode`, as `?mode=` takes it and a job records it.
fn mode_name(mode: BatchMode) -> &'static str {
    match mode {
        BatchMode::AllOrNothing => "all_or_nothing",
        BatchMode::EachRow => "best_effort",
    }
}

/// The mode [`mode_name`] names `name`.
pub(super) fn mode_of(name: &str) -> Option<BatchMode> {
    [BatchMode::AllOrNothing, BatchMode::EachRow]
        .into_iter()
        .find(|mode| mode_name(*mode) == name)
}

/// Whether `principal` sees every job, not only its own.
fn sees_all(principal: &Principal) -> bool {
    principal.has_role(&Role::ADMIN)
}

async fn list(
    State(jobs): State<ImportJobs>,
    Caller(principal): Caller,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    if let Some((name, _)) = params.first() {
        return Err(Problem::invalid(name, "the jobs' list takes no parameter"));
    }
    let subject = (!sees_all(&principal)).then_some(principal.subject.as_str());
    let listed = jobs.store.list(subject, LIST_LIMIT).await?;
    json_ok(&serde_json::json!({ "results": listed }))
}

async fn retrieve(
    State(jobs): State<ImportJobs>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let not_found = || Problem::new(StatusCode::NOT_FOUND, format!("no import job `{id}`"));
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    match jobs.store.get(uuid).await? {
        // Another caller's job is not found, as a record outside one's scope is not.
        Some(job) if sees_all(&principal) || job.submitter.subject == principal.subject => {
            json_ok(&job)
        }
        _ => Err(not_found()),
    }
}
