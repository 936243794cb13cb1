//! Import jobs: a large file imported in the background, its state kept in the database so
//! that any instance can run it and a job outlives the instance that took it.
//!
//! A job is submitted ([`ImportJobStore::submit`]) with its file, then **claimed** by one
//! instance for a **lease** ([`ImportJobStore::claim`]): the instance renews the lease as it
//! reports progress ([`ImportJobStore::heartbeat`]) and ends the job with its outcome
//! ([`ImportJobStore::finish`]). An instance that dies stops renewing; once the lease has run
//! out, another instance (or the same one, restarted) claims the job again and runs it from
//! the start. That is safe because an import upserts by natural key: an all-or-nothing import
//! is one transaction (the dead instance's attempt committed whole or not at all), and a
//! best-effort one writes the same values again. Renewals and the outcome name the instance
//! holding the lease, so an instance that lost its lease (paused past it) cannot overwrite
//! the new holder's state.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Principal, Role};
use crate::error::Result;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for an instance.
    Queued,
    /// An instance holds its lease and runs it.
    Running,
    /// Ran to the end: its report says what was written (or, for a dry run, would be).
    Succeeded,
    /// Could not run: the file could not be read, or the store failed; `failure` says why.
    Failed,
}

impl JobState {
    /// The state's name, as stored and answered.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }
}

/// Who submitted a job: the import runs as them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSubmitter {
    /// The principal's subject.
    pub subject: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// The API key it came with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

impl JobSubmitter {
    /// The submitter of a job `principal` sends.
    pub fn of(principal: &Principal) -> Self {
        JobSubmitter {
            subject: principal.subject.clone(),
            roles: principal
                .roles
                .iter()
                .map(|role| role.as_str().to_owned())
                .collect(),
            api_key: principal.api_key.clone(),
        }
    }

    /// The principal the job runs as. Imports refuse callers scoped to some records, so a
    /// job needs no record links.
    pub fn principal(&self) -> Principal {
        let principal = Principal::new(
            self.subject.clone(),
            self.roles.iter().map(|role| Role::new(role.clone())),
        );
        match &self.api_key {
            Some(key) => principal.with_api_key(key.clone()),
            None => principal,
        }
    }
}

/// A job to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImportJob {
    /// The resource's segment (`students`): which kind the rows are.
    pub resource: String,
    /// The file's format (`csv`, `xlsx`).
    pub format: String,
    /// Check every row and write nothing.
    pub dry_run: bool,
    /// `all_or_nothing` or `best_effort`.
    pub mode: String,
    /// Who submits it.
    pub submitter: JobSubmitter,
    /// The file.
    pub file: Vec<u8>,
}

/// A job as its resource shows it (the file is not part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    /// The job's id.
    pub id: Uuid,
    /// The resource's segment.
    pub resource: String,
    /// The file's format.
    pub format: String,
    /// Whether it only checks.
    pub dry_run: bool,
    /// `all_or_nothing` or `best_effort`.
    pub mode: String,
    /// Where it is.
    pub state: JobState,
    /// Who submitted it.
    pub submitter: JobSubmitter,
    /// Rows checked or written so far.
    pub rows_done: i64,
    /// The file's data rows, once read.
    pub rows_total: Option<i64>,
    /// The import's report (as the synchronous import answers it), once it ran.
    pub report: Option<Value>,
    /// Why it failed.
    pub failure: Option<String>,
    /// The instance holding its lease (the last one, once it ended).
    pub instance: Option<String>,
    /// How many times an instance claimed it (more than one: an instance died running it).
    pub attempts: i64,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When an instance last claimed it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A claimed job and its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    /// The job, now running under the claimer's lease.
    pub job: ImportJob,
    /// Its file.
    pub file: Vec<u8>,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// It ran: the import's report.
    Succeeded(Value),
    /// It could not run: why.
    Failed(String),
}

/// Where the jobs are kept (see the module documentation).
#[async_trait]
pub trait ImportJobStore: Send + Sync {
    /// Stores a queued job with its file.
    async fn submit(&self, job: NewImportJob) -> Result<ImportJob>;

    /// The job `id`.
    async fn get(&self, id: Uuid) -> Result<Option<ImportJob>>;

    /// The newest jobs first, at most `limit`, only `subject`'s when given.
    async fn list(&self, subject: Option<&str>, limit: usize) -> Result<Vec<ImportJob>>;

    /// Claims the oldest job that is queued, or running under a lease that ran out, for
    /// `instance` until `lease` from now. Two instances never hold one job at once.
    async fn claim(&self, instance: &str, lease: Duration) -> Result<Option<ClaimedJob>>;

    /// Records `rows_done` (and `rows_total` once known) and renews the lease, if `instance`
    /// still holds it; `false` when it lost it.
    async fn heartbeat(
        &self,
        id: Uuid,
        instance: &str,
        lease: Duration,
        rows_done: i64,
        rows_total: Option<i64>,
    ) -> Result<bool>;

    /// Ends the job with `outcome` and drops its file, if `instance` still holds its lease;
    /// `false` when it lost it.
    async fn finish(&self, id: Uuid, instance: &str, outcome: JobOutcome) -> Result<bool>;
}
