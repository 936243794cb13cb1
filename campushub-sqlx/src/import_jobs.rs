//! Import jobs in the database (`campushub_import_jobs`, both backends): see
//! [`campushub_core::exchange::jobs`] for the protocol.
//!
//! A claim is one conditional `UPDATE`: it picks the oldest open job and takes it only if the
//! job is still claimable when the row is written. On Postgres, of two instances that picked
//! the same job, the second waits for the first's row lock and then finds the job leased, so
//! it updates nothing; SQLite runs one writer at a time. Renewals and the outcome are written
//! only while the instance named on the row still holds it.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use campushub_core::exchange::jobs::{
    ClaimedJob, ImportJob, ImportJobStore, JobOutcome, JobState, NewImportJob,
};
use campushub_core::{ReadOptions, ReadRoute, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::backend::{Backend, Statement};
use crate::row::SqlRow;
use crate::sql::SqlBuilder;
use crate::value::{ColType, SqlValue};

const TABLE: &str = "campushub_import_jobs";

/// The columns a job is read from, in order.
const COLUMNS: [(&str, ColType); 17] = [
    ("id", ColType::Uuid),
    ("resource", ColType::Text),
    ("format", ColType::Text),
    ("dry_run", ColType::Bool),
    ("mode", ColType::Text),
    ("state", ColType::Text),
    ("submitter", ColType::Json),
    ("rows_done", ColType::Int),
    ("rows_total", ColType::Int),
    ("report", ColType::Json),
    ("failure", ColType::Text),
    ("instance", ColType::Text),
    ("attempts", ColType::Int),
    ("created_at", ColType::DateTime),
    ("started_at", ColType::DateTime),
    ("finished_at", ColType::DateTime),
    ("file", ColType::Text),
];

static NAMES: [&str; 17] = {
    let mut names = [""; 17];
    let mut i = 0;
    while i < COLUMNS.len() {
        names[i] = COLUMNS[i].0;
        i += 1;
    }
    names
};

/// The jobs of one database (migrations must have run, see [`crate::migrate`]).
#[derive(Debug, Clone)]
pub struct SqlImportJobs<B> {
    backend: B,
}

impl<B: Backend> SqlImportJobs<B> {
    /// The jobs kept on `backend`'s primary.
    pub fn new(backend: B) -> Self {
        SqlImportJobs { backend }
    }

    fn builder(&self) -> SqlBuilder {
        SqlBuilder::new(self.backend.dialect())
    }

    /// The selected columns: every one, the file's only when `with_file`.
    fn selected(with_file: bool) -> &'static [(&'static str, ColType)] {
        if with_file {
            &COLUMNS
        } else {
            &COLUMNS[..COLUMNS.len() - 1]
        }
    }

    /// Appends the [`Self::selected`] columns.
    fn push_columns(b: &mut SqlBuilder, with_file: bool) {
        for (i, (name, _)) in Self::selected(with_file).iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(name);
        }
    }

    fn returns(with_file: bool) -> Vec<ColType> {
        Self::selected(with_file)
            .iter()
            .map(|(_, ty)| *ty)
            .collect()
    }

    async fn read(&self, statement: Statement) -> Result<Vec<ImportJob>> {
        let read = ReadOptions::default().on(ReadRoute::Primary);
        let rows = self.backend.fetch(statement, &read).await?;
        rows.into_iter().map(job_without_file).collect()
    }

    /// Runs one write and says whether it changed a row.
    async fn changed(&self, statement: Statement) -> Result<bool> {
        let (results, _) = self.backend.write(vec![statement]).await?;
        Ok(results
            .first()
            .is_some_and(|result| result.rows_affected > 0))
    }
}

#[async_trait]
impl<B: Backend> ImportJobStore for SqlImportJobs<B> {
    async fn submit(&self, job: NewImportJob) -> Result<ImportJob> {
        let id = Uuid::new_v4();
        let submitter = serde_json::to_value(&job.submitter)
            .map_err(|error| campushub_core::Error::internal("a submitter", error))?;
        let file = base64::engine::general_purpose::STANDARD.encode(&job.file);
        let mut b = self.builder();
        b.push("INSERT INTO ").ident(TABLE).push(
            " (id, resource, format, dry_run, mode, state, subject, submitter, created_at, file) \
             VALUES ",
        );
        b.bind_tuple([
            id.into(),
            job.resource.into(),
            job.format.into(),
            job.dry_run.into(),
            job.mode.into(),
            JobState::Queued.as_str().into(),
            job.submitter.subject.into(),
            submitter.into(),
            now().into(),
            file.into(),
        ]);
        // The job as inserted, from the insert itself: a worker may claim it at once, and the
        // submitter's answer says it was queued.
        b.push(" RETURNING ");
        Self::push_columns(&mut b, false);
        let (results, _) = self
            .backend
            .write(vec![b.finish(Self::returns(false))])
            .await?;
        let values = results
            .into_iter()
            .next()
            .and_then(|result| result.rows.into_iter().next())
            .ok_or_else(|| campushub_core::Error::internal("a submitted job", std::fmt::Error))?;
        job_without_file(values)
    }

    async fn get(&self, id: Uuid) -> Result<Option<ImportJob>> {
        let mut b = self.builder();
        b.push("SELECT ");
        Self::push_columns(&mut b, false);
        b.push(" FROM ")
            .ident(TABLE)
            .push(" WHERE id = ")
            .bind(id.into());
        Ok(self.read(b.finish(Self::returns(false))).await?.pop())
    }

    async fn list(&self, subject: Option<&str>, limit: usize) -> Result<Vec<ImportJob>> {
        let mut b = self.builder();
        b.push("SELECT ");
        Self::push_columns(&mut b, false);
        b.push(" FROM ").ident(TABLE);
        if let Some(subject) = subject {
            b.push(" WHERE subject = ").bind(subject.into());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        b.push(" ORDER BY created_at DESC, id LIMIT ")
            .bind(limit.into());
        self.read(b.finish(Self::returns(false))).await
    }

    async fn claim(&self, instance: &str, lease: Duration) -> Result<Option<ClaimedJob>> {
        let now = now();
        let claimable = |b: &mut SqlBuilder| {
            b.push("(state = 'queued' OR (state = 'running' AND lease_until < ")
                .bind(now.into())
                .push("))");
        };
        let mut b = self.builder();
        b.push("UPDATE ")
            .ident(TABLE)
            .push(" SET state = 'running', instance = ");
        b.bind(instance.into())
            .push(", lease_until = ")
            .bind(until(now, lease).into());
        b.push(", started_at = ").bind(now.into());
        b.push(", attempts = attempts + 1, rows_done = 0 WHERE id = (SELECT id FROM ");
        b.ident(TABLE).push(" WHERE ");
        claimable(&mut b);
        b.push(" ORDER BY created_at, id LIMIT 1) AND ");
        claimable(&mut b);
        b.push(" RETURNING ");
        Self::push_columns(&mut b, true);
        let statement = b.finish(Self::returns(true));
        let (results, _) = self.backend.write(vec![statement]).await?;
        let Some(values) = results
            .into_iter()
            .next()
            .and_then(|r| r.rows.into_iter().next())
        else {
            return Ok(None);
        };
        let row = SqlRow::new(&NAMES, values);
        let job = decode(&row)?;
        let file = row.opt_text("file").map_err(campushub_core::Error::from)?;
        let file = base64::engine::general_purpose::STANDARD
            .decode(file.unwrap_or_default())
            .map_err(|error| campushub_core::Error::internal("a job's file", error))?;
        Ok(Some(ClaimedJob { job, file }))
    }

    async fn heartbeat(
        &self,
        id: Uuid,
        instance: &str,
        lease: Duration,
        rows_done: i64,
        rows_total: Option<i64>,
    ) -> Result<bool> {
        let mut b = self.builder();
        b.push("UPDATE ")
            .ident(TABLE)
            .push(" SET rows_done = ")
            .bind(rows_done.into());
        b.push(", rows_total = COALESCE(")
            .bind(rows_total.into())
            .push(", rows_total)");
        b.push(", lease_until = ").bind(until(now(), lease).into());
        b.push(" WHERE id = ").bind(id.into());
        b.push(" AND state = 'running' AND instance = ")
            .bind(instance.into());
        self.changed(b.finish(Vec::new())).await
    }

    async fn finish(&self, id: Uuid, instance: &str, outcome: JobOutcome) -> Result<bool> {
        let (state, report, failure) = match outcome {
            JobOutcome::Succeeded(report) => (JobState::Succeeded, Some(report), None),
            JobOutcome::Failed(why) => (JobState::Failed, None, Some(why)),
        };
        let mut b = self.builder();
        b.push("UPDATE ")
            .ident(TABLE)
            .push(" SET state = ")
            .bind(state.as_str().into());
        b.push(", report = ").bind(SqlValue::Json(report));
        b.push(", failure = ").bind(failure.into());
        b.push(", finished_at = ").bind(now().into());
        b.push(", lease_until = NULL, file = NULL WHERE id = ")
            .bind(id.into());
        b.push(" AND state = 'running' AND instance = ")
            .bind(instance.into());
        self.changed(b.finish(Vec::new())).await
    }
}

fn now() -> DateTime<Utc> {
    campushub_core::meta::now_micros()
}

/// `lease` after `now` (a lease too long for the calendar runs to its end).
fn until(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|lease| now.checked_add_signed(lease))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The job of a row selected without its file (every column but the last).
fn job_without_file(values: Vec<SqlValue>) -> Result<ImportJob> {
    decode(&SqlRow::new(&NAMES[..NAMES.len() - 1], values))
}

/// The job of one row.
fn decode(row: &SqlRow<'_>) -> Result<ImportJob> {
    let decode_error = |column: &str, message: String| crate::Error::Decode {
        column: column.to_owned(),
        message,
    };
    let state = row.text("state")?;
    let state = JobState::parse(&state)
        .ok_or_else(|| decode_error("state", format!("`{state}` is not a job state")))?;
    let report = match row.opt_json("report")? {
        Some(Value::Null) | None => None,
        Some(report) => Some(report),
    };
    Ok(ImportJob {
        id: row.uuid("id")?,
        resource: row.text("resource")?,
        format: row.text("format")?,
        dry_run: row.bool("dry_run")?,
        mode: row.text("mode")?,
        state,
        submitter: row.json_as("submitter")?,
        rows_done: row.int("rows_done")?,
        rows_total: row.opt_int("rows_total")?,
        report,
        failure: row.opt_text("failure")?,
        instance: row.opt_text("instance")?,
        attempts: row.int("attempts")?,
        created_at: row.datetime("created_at")?,
        started_at: row.opt_datetime("started_at")?,
        finished_at: row.opt_datetime("finished_at")?,
    })
}
