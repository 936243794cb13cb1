//! Batch writes: one transaction per batch, multi-row statements under the bind limit, and
//! per-row outcomes.
//!
//! A batch runs as multi-row statements inside a savepoint of its transaction. When one of
//! them fails on a row's data (a unique value taken meanwhile, a reference deleted
//! meanwhile), the savepoint is rolled back and the rows go one by one, each under a
//! savepoint of its own, so that each failure is reported with its cause, in the same
//! transaction. [`BatchMode`] then decides: all or nothing rolls the whole transaction back
//! when any row failed; each-row commits the rows that passed. A failure that is not a row's
//! (the connection lost, the database shutting down) ends the call with that error and
//! leaves the transaction uncommitted: nothing of the batch is written, in either mode.

use std::collections::{HashMap, HashSet};

use campushub_core::repository::{BatchMode, BulkWritten};
use campushub_core::{AuditEntry, ChangeEvent, ChangeOp, ConsistencyToken, Error, Result};
use sqlx::error::ErrorKind;
use uuid::Uuid;

use super::errors::WriteKind;
use super::hierarchy::{refused_rows, Link};
use super::read::CHUNK;
use super::SqlRepository;
use crate::audit::insert_entries;
use crate::backend::{Backend, Dialect, Statement, StatementResult, WriteTx};
use crate::sql::SqlBuilder;
use crate::table::SqlEntity;
use crate::transaction_hook::pending_change;
use crate::value::{ColType, SqlValue};

/// Rows per `INSERT ... SELECT * FROM UNNEST(...)` statement on Postgres.
const UNNEST_ROWS: usize = 10_000;

/// The savepoints of a batch: around its multi-row statements, and around each row.
const BATCH_SAVEPOINT: &str = "campushub_batch";
const ROW_SAVEPOINT: &str = "campushub_row";

/// The rows of a batch as the caller gave them, for what a failure of one of them means.
#[derive(Clone, Copy)]
pub(super) enum Rows<'a, E> {
    /// New records, then changed ones (row `i` is `inserts[i]`, then `updates[i - n]`).
    Store {
        inserts: &'a [E],
        updates: &'a [(E, i64)],
    },
    Delete,
}

impl<E> Rows<'_, E> {
    /// What writing row `i` was, for mapping its failure.
    pub(super) fn kind(&self, i: usize) -> WriteKind<'_, E> {
        match self {
            Rows::Store { inserts, updates } => match inserts.get(i) {
                Some(entity) => WriteKind::Store(entity),
                None => WriteKind::Store(&updates[i - inserts.len()].0),
            },
            Rows::Delete => WriteKind::Delete,
        }
    }
}

impl<E: SqlEntity> Rows<'_, E> {
    /// The change committing row `i` makes (`keys`: the plan's, which a deletion's row is),
    /// for the transaction hooks.
    fn change(
        &self,
        i: usize,
        keys: &[Option<(Uuid, i64)>],
        entry: Option<&AuditEntry>,
    ) -> Option<ChangeEvent> {
        let (id, op, version) = match self {
            Rows::Store { inserts, updates } => match inserts.get(i) {
                Some(entity) => (entity.meta().id, ChangeOp::Created, entity.meta().version),
                None => {
                    let meta = updates.get(i.checked_sub(inserts.len())?)?.0.meta();
                    (meta.id, ChangeOp::Updated, meta.version)
                }
            },
            Rows::Delete => {
                let (id, expected) = keys.get(i).copied().flatten()?;
                (id, ChangeOp::Deleted, expected + 1)
            }
        };
        Some(pending_change(E::KIND, id, op, version, entry))
    }
}

/// A batch on its way to the store: each row's values (`None`: refused before writing, its
/// error in `outcomes`), the link it stores in a tree, and its outcome so far.
pub(super) struct Batch {
    pub(super) rows: Vec<Option<Vec<SqlValue>>>,
    links: Vec<Option<Link>>,
    pub(super) outcomes: Vec<Option<Error>>,
}

impl Batch {
    /// The rows still to write.
    pub(super) fn pending(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|i| self.rows[*i].is_some() && self.outcomes[*i].is_none())
            .collect()
    }

    /// Whether some row has failed.
    pub(super) fn failed(&self) -> bool {
        self.outcomes.iter().any(Option::is_some)
    }

    /// The outcome of a batch that wrote nothing because a row failed.
    pub(super) fn rolled_back(self) -> BulkWritten {
        let mut written = finish(self.outcomes, None);
        written.rolled_back = true;
        written
    }
}

/// What makes the statements of a batch's rows (each with its index in the batch).
pub(super) trait BuildStatements: Fn(Vec<(usize, Vec<SqlValue>)>) -> Vec<Statement> {}

impl<F: Fn(Vec<(usize, Vec<SqlValue>)>) -> Vec<Statement>> BuildStatements for F {}

/// How a batch's statements are made and what they report per row.
pub(super) struct Plan<'a, E, F> {
    pub(super) rows: Rows<'a, E>,
    /// `(id, expected version)` per row, for versioned writes (which return the ids they
    /// touched); `None` for inserts.
    pub(super) keys: Vec<Option<(Uuid, i64)>>,
    /// The statements writing the given rows' values, each with its row's index.
    pub(super) build: F,
    /// One audit entry per row, stored for the rows the batch commits (`None`: not audited).
    entries: Option<&'a [AuditEntry]>,
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Inserts `inserts` and updates `updates` as one batch: one transaction per pass,
    /// the inserts' statements first. The inserts are checked before the transaction for
    /// unique values taken and references missing (set queries, a few round trips).
    pub(super) async fn insert_update_batch(
        &self,
        inserts: &[E],
        updates: &[(E, i64)],
        entries: Option<&[AuditEntry]>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        let (mut batch, plan) = self.store_plan(inserts, updates, entries);
        self.check_inserts(&mut batch, inserts.len()).await?;
        self.write_rows(batch, plan, mode).await
    }

    /// Checks the batch's first `inserts` rows (its inserts) for unique values taken and
    /// references missing, before any transaction, marking the rows that fail.
    pub(super) async fn check_inserts(&self, batch: &mut Batch, inserts: usize) -> Result<()> {
        let (rows, outcomes) = (&mut batch.rows[..inserts], &mut batch.outcomes[..inserts]);
        self.check_unique(rows, outcomes).await?;
        self.check_references(rows, outcomes).await
    }

    /// The rows of writing `inserts` then `updates` and how their statements are made (the
    /// inserts' statements first); rows whose values cannot be stored already failed.
    pub(super) fn store_plan<'a>(
        &'a self,
        inserts: &'a [E],
        updates: &'a [(E, i64)],
        entries: Option<&'a [AuditEntry]>,
    ) -> (Batch, Plan<'a, E, impl BuildStatements + 'a>) {
        let first_update = inserts.len();
        let total = first_update + updates.len();
        let mut outcomes: Vec<Option<Error>> = (0..total).map(|_| None).collect();
        let mut rows: Vec<Option<Vec<SqlValue>>> = Vec::with_capacity(total);
        let mut links: Vec<Option<Link>> = Vec::with_capacity(total);
        for (i, entity) in inserts.iter().enumerate() {
            match self.table.row_values(entity) {
                Ok(values) => {
                    links.push(self.link(&values));
                    rows.push(Some(values));
                }
                Err(error) => {
                    outcomes[i] = Some(error.into());
                    links.push(None);
                    rows.push(None);
                }
            }
        }
        for (i, (entity, expected)) in updates.iter().enumerate() {
            match self.table.row_values(entity) {
                Ok(mut values) => {
                    links.push(self.link(&values));
                    values.insert(1, (*expected).into());
                    rows.push(Some(values));
                }
                Err(error) => {
                    outcomes[first_update + i] = Some(error.into());
                    links.push(None);
                    rows.push(None);
                }
            }
        }
        let (per_insert, per_update) = (self.rows_per_statement(0), self.rows_per_statement(1));
        let build = move |rows: Vec<(usize, Vec<SqlValue>)>| {
            let (new, changed): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|(i, _)| *i < first_update);
            let values = |rows: Vec<(usize, Vec<SqlValue>)>| rows.into_iter().map(|(_, v)| v);
            let mut statements =
                in_chunks(values(new), per_insert, |chunk| self.table.insert(chunk));
            statements.extend(in_chunks(values(changed), per_update, |chunk| {
                self.update_statement(chunk)
            }));
            statements
        };
        let keys = (0..first_update)
            .map(|_| None)
            .chain(updates.iter().map(|(e, v)| Some((e.meta().id, *v))))
            .collect();
        let batch = Batch {
            rows,
            links,
            outcomes,
        };
        let plan = Plan {
            rows: Rows::Store { inserts, updates },
            keys,
            build,
            entries,
        };
        (batch, plan)
    }

    pub(super) async fn delete_batch(
        &self,
        rows: &[(Uuid, i64)],
        entries: Option<&[AuditEntry]>,
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        // A delete binds two values a row (id, expected version), whatever the table.
        let per_statement = (self.backend.dialect().max_binds() / 2).min(CHUNK);
        let build = |values: Vec<(usize, Vec<SqlValue>)>| {
            let keys: Vec<(Uuid, i64)> = values.iter().filter_map(|(_, v)| key_of(v)).collect();
            keys.chunks(per_statement)
                .map(|chunk| self.delete_statement(chunk))
                .collect()
        };
        // A deletion stores no link: it cannot close a cycle.
        let batch = Batch {
            rows: rows
                .iter()
                .map(|(id, version)| Some(vec![(*id).into(), (*version).into()]))
                .collect(),
            links: vec![None; rows.len()],
            outcomes: (0..rows.len()).map(|_| None).collect(),
        };
        let plan = Plan {
            rows: Rows::Delete,
            keys: rows.iter().copied().map(Some).collect(),
            build,
            entries,
        };
        self.write_rows(batch, plan, mode).await
    }

    /// Writes the pending rows of `batch` as `mode` says (see the module's documentation).
    ///
    /// Each pass is one transaction. In a tree, the hierarchy check runs first, under the
    /// tree's lock; rows it refuses get their error and the pass starts again without them
    /// (dropping a row's new parent can change what the others' chains reach). A pass in
    /// which a versioned row was overtaken (its version moved, or the record went), all or
    /// nothing, is rolled back as well, the row's error recorded. Every such new pass has
    /// fewer rows, so the loop ends.
    async fn write_rows<F>(
        &self,
        mut batch: Batch,
        plan: Plan<'_, E, F>,
        mode: BatchMode,
    ) -> Result<BulkWritten>
    where
        F: Fn(Vec<(usize, Vec<SqlValue>)>) -> Vec<Statement>,
    {
        loop {
            if mode == BatchMode::AllOrNothing && batch.failed() {
                return Ok(batch.rolled_back());
            }
            let pending = batch.pending();
            if pending.is_empty() {
                return Ok(finish(batch.outcomes, None));
            }
            let links: Vec<Link> = pending.iter().filter_map(|i| batch.links[*i]).collect();
            let guard = E::hierarchy()
                .filter(|_| links.iter().any(|(_, parent)| parent.is_some()))
                .map(|hierarchy| self.guard(&hierarchy, &links));
            let mut tx = self.backend.begin(guard.as_ref().map(|g| g.lock)).await?;
            if let Some(guard) = guard {
                let refused = tx.run(guard.check).await?;
                if !refused.rows.is_empty() {
                    tx.rollback().await?;
                    refused_rows::<E>(refused.rows, &pending, &batch.links, &mut batch.outcomes)?;
                    continue;
                }
            }
            let (overtaken, failed) = self.run_pass(&mut *tx, &batch, &plan, &pending).await?;
            let refused = !failed.is_empty() || !overtaken.is_empty();
            let all_refused = failed.len() + overtaken.len() == pending.len();
            let token = if (mode == BatchMode::AllOrNothing && refused) || all_refused {
                tx.rollback().await?;
                None
            } else {
                let committed: Vec<usize> = pending
                    .iter()
                    .copied()
                    .filter(|i| !overtaken.contains(i) && !failed.iter().any(|(f, _)| f == i))
                    .collect();
                if let Err(veto) = self.record_pass(&mut *tx, &plan, &committed).await {
                    tx.rollback().await?;
                    return Err(veto);
                }
                tx.commit().await?
            };
            // Explained once the transaction has ended: explaining reads, and a store may
            // have a single connection (an in-memory SQLite database).
            for (i, error) in failed {
                batch.outcomes[i] = Some(self.write_error(error, plan.rows.kind(i)).await);
            }
            self.explain_missed(&plan.keys, &overtaken, &mut batch.outcomes)
                .await?;
            if mode == BatchMode::AllOrNothing && refused {
                // The next pass returns the rolled-back outcome.
                continue;
            }
            return Ok(finish(batch.outcomes, token));
        }
    }

    /// Runs the statements of the `pending` rows of `batch` in `tx`, under a savepoint:
    /// multi-row statements, or, when one fails on a row's data, one row at a time. The rows
    /// a versioned write found overtaken, and the rows that failed (with their errors).
    pub(super) async fn run_pass<F>(
        &self,
        tx: &mut dyn WriteTx,
        batch: &Batch,
        plan: &Plan<'_, E, F>,
        pending: &[usize],
    ) -> Result<(Vec<usize>, Vec<(usize, crate::Error)>)>
    where
        F: Fn(Vec<(usize, Vec<SqlValue>)>) -> Vec<Statement>,
    {
        let values = |i: &usize| Some((*i, batch.rows[*i].clone()?));
        let statements = (plan.build)(pending.iter().filter_map(values).collect());
        tx.run(savepoint(BATCH_SAVEPOINT)).await?;
        let results = match run_all(tx, statements).await {
            Ok(results) => Some(results),
            Err(error) if is_row_failure(&error) => {
                tx.run(rollback_to(BATCH_SAVEPOINT)).await?;
                None
            }
            Err(error) => return Err(error.into()),
        };
        Ok(match results {
            Some(results) => (self.missed(plan, pending, results), Vec::new()),
            None => self.row_by_row(tx, batch, plan, pending).await?,
        })
    }

    /// Writes the audit entries of the `committed` rows in `tx` and runs the transaction
    /// hooks on their changes; an error (a hook's veto) must roll `tx` back.
    pub(super) async fn record_pass<F>(
        &self,
        tx: &mut dyn WriteTx,
        plan: &Plan<'_, E, F>,
        committed: &[usize],
    ) -> Result<()> {
        let entry = |i: usize| plan.entries.and_then(|entries| entries.get(i));
        if plan.entries.is_some() {
            let statements = insert_entries(
                self.backend.dialect(),
                committed.iter().filter_map(|i| entry(*i)),
            );
            run_all(tx, statements).await?;
        }
        if !self.hooks.is_empty() {
            let changes: Vec<ChangeEvent> = committed
                .iter()
                .filter_map(|i| plan.rows.change(*i, &plan.keys, entry(*i)))
                .collect();
            self.hooks.run(tx, self.backend.dialect(), &changes).await?;
        }
        Ok(())
    }

    /// Writes `pending` one row at a time in `tx`, each under a savepoint: the rows a
    /// versioned write found overtaken, and the rows that failed on their data (their writes
    /// rolled back to their savepoints). A failure that is not a row's ends it.
    async fn row_by_row<F>(
        &self,
        tx: &mut dyn WriteTx,
        batch: &Batch,
        plan: &Plan<'_, E, F>,
        pending: &[usize],
    ) -> Result<(Vec<usize>, Vec<(usize, crate::Error)>)>
    where
        F: Fn(Vec<(usize, Vec<SqlValue>)>) -> Vec<Statement>,
    {
        let mut overtaken = Vec::new();
        let mut failed = Vec::new();
        for &i in pending {
            let Some(values) = batch.rows[i].clone() else {
                continue;
            };
            tx.run(savepoint(ROW_SAVEPOINT)).await?;
            match run_all(tx, (plan.build)(vec![(i, values)])).await {
                Ok(results) => {
                    if plan.keys[i].is_some() && touched(&results) == 0 {
                        overtaken.push(i);
                    }
                }
                Err(error) if is_row_failure(&error) => {
                    tx.run(rollback_to(ROW_SAVEPOINT)).await?;
                    failed.push((i, error));
                }
                Err(error) => return Err(error.into()),
            }
            tx.run(release(ROW_SAVEPOINT)).await?;
        }
        Ok((overtaken, failed))
    }

    /// The rows among `pending` that versioned statements did not touch (none for inserts).
    pub(super) fn missed<F>(
        &self,
        plan: &Plan<'_, E, F>,
        pending: &[usize],
        results: Vec<StatementResult>,
    ) -> Vec<usize> {
        if plan.keys.iter().all(Option::is_none) {
            return Vec::new();
        }
        let done = returned_ids(results.into_iter().flat_map(|r| r.rows));
        pending
            .iter()
            .copied()
            .filter(|i| matches!(plan.keys[*i], Some((id, _)) if !done.contains(&id)))
            .collect()
    }

    /// Rows per multi-row statement: as many as fit the dialect's bind limit (inserts on
    /// Postgres bind one array per column, so only their size bounds them).
    fn rows_per_statement(&self, extra_columns: usize) -> usize {
        let dialect = self.backend.dialect();
        if dialect == Dialect::Postgres && extra_columns == 0 {
            return UNNEST_ROWS;
        }
        let per_row = self.table.columns.len() + extra_columns;
        (dialect.max_binds() / per_row.max(1)).max(1)
    }

    /// `WITH v(id, expected, cols...) AS (VALUES ...) UPDATE ... FROM v ... RETURNING id`.
    fn update_statement(&self, rows: Vec<Vec<SqlValue>>) -> Statement {
        let table = self.table.table;
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("WITH v(\"id\", \"__expected\"");
        for column in &self.table.columns[1..] {
            b.push(", ").ident(column.name);
        }
        b.push(") AS (VALUES ");
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_tuple(row);
        }
        b.push(") UPDATE ").ident(table).push(" SET ");
        let assigned = self
            .table
            .columns
            .iter()
            .filter(|c| c.name != "id" && c.name != "created_at");
        for (i, column) in assigned.enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(column.name).push(" = ").column("v", column.name);
        }
        b.push(" FROM v WHERE ")
            .ident(table)
            .push(".\"id\" = v.\"id\" AND ");
        b.ident(table)
            .push(".\"version\" = v.\"__expected\" RETURNING ");
        b.ident(table).push(".\"id\"");
        b.finish(vec![ColType::Uuid])
    }

    /// `WITH v(id, expected) AS (VALUES ...) DELETE ... RETURNING id`.
    fn delete_statement(&self, rows: &[(Uuid, i64)]) -> Statement {
        let table = self.table.table;
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("WITH v(\"id\", \"__expected\") AS (VALUES ");
        for (i, (id, version)) in rows.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_tuple([(*id).into(), (*version).into()]);
        }
        b.push(") DELETE FROM ")
            .ident(table)
            .push(" WHERE EXISTS (SELECT 1 FROM v WHERE v.\"id\" = ");
        b.ident(table)
            .push(".\"id\" AND v.\"__expected\" = ")
            .ident(table);
        b.push(".\"version\") RETURNING \"id\"");
        b.finish(vec![ColType::Uuid])
    }

    /// Records NotFound or PreconditionFailed for the rows `overtaken` (a versioned write
    /// touched none of them), read on the primary once the transaction has ended.
    pub(super) async fn explain_missed(
        &self,
        keys: &[Option<(Uuid, i64)>],
        overtaken: &[usize],
        outcomes: &mut [Option<Error>],
    ) -> Result<()> {
        if overtaken.is_empty() {
            return Ok(());
        }
        let overtaken: Vec<(usize, (Uuid, i64))> = overtaken
            .iter()
            .filter_map(|i| Some((*i, keys[*i]?)))
            .collect();
        let ids: Vec<Uuid> = overtaken.iter().map(|(_, (id, _))| *id).collect();
        let mut stored = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            stored.extend(self.stored_versions(chunk).await?);
        }
        for (i, (id, expected)) in overtaken {
            outcomes[i] = Some(match stored.get(&id) {
                Some(actual) => Error::PreconditionFailed {
                    expected,
                    actual: *actual,
                },
                None => Error::not_found(E::KIND, id),
            });
        }
        Ok(())
    }
}

/// One statement (made by `statement`) per `per_statement` rows, in order.
fn in_chunks(
    rows: impl IntoIterator<Item = Vec<SqlValue>>,
    per_statement: usize,
    statement: impl Fn(Vec<Vec<SqlValue>>) -> Statement,
) -> Vec<Statement> {
    let mut rows = rows.into_iter().peekable();
    let mut statements = Vec::new();
    while rows.peek().is_some() {
        statements.push(statement(
            rows.by_ref().take(per_statement.max(1)).collect(),
        ));
    }
    statements
}

/// Runs `statements` in order in `tx`; the first failure ends it.
pub(super) async fn run_all(
    tx: &mut dyn WriteTx,
    statements: Vec<Statement>,
) -> crate::Result<Vec<StatementResult>> {
    let mut results = Vec::with_capacity(statements.len());
    for statement in statements {
        results.push(tx.run(statement).await?);
    }
    Ok(results)
}

/// Rows the statements of one row touched.
fn touched(results: &[StatementResult]) -> u64 {
    results.iter().map(|r| r.rows_affected).sum()
}

/// Whether `error` is about a row's data (a constraint it breaks), which the row's own
/// report names, rather than about the database or the connection, which fails the call.
pub(super) fn is_row_failure(error: &crate::Error) -> bool {
    match error {
        crate::Error::Database(sqlx::Error::Database(db)) => matches!(
            db.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        ),
        _ => false,
    }
}

fn savepoint(name: &str) -> Statement {
    control(format!("SAVEPOINT {name}"))
}

fn rollback_to(name: &str) -> Statement {
    control(format!("ROLLBACK TO SAVEPOINT {name}"))
}

fn release(name: &str) -> Statement {
    control(format!("RELEASE SAVEPOINT {name}"))
}

/// A statement of transaction control (the same text in both dialects).
fn control(sql: String) -> Statement {
    Statement {
        sql: sql.into(),
        args: Vec::new(),
        returns: Vec::new(),
    }
}

/// The `(id, expected version)` of a deletion's values.
fn key_of(values: &[SqlValue]) -> Option<(Uuid, i64)> {
    match values {
        [SqlValue::Uuid(Some(id)), SqlValue::Int(Some(version))] => Some((*id, *version)),
        _ => None,
    }
}

/// The ids in the first column of `rows`.
pub(super) fn returned_ids(rows: impl IntoIterator<Item = Vec<SqlValue>>) -> HashSet<Uuid> {
    rows.into_iter()
        .filter_map(|row| match row.first() {
            Some(SqlValue::Uuid(Some(id))) => Some(*id),
            _ => None,
        })
        .collect()
}

pub(super) fn finish(outcomes: Vec<Option<Error>>, token: Option<ConsistencyToken>) -> BulkWritten {
    BulkWritten {
        rows: outcomes
            .into_iter()
            .map(|o| match o {
                Some(error) => Err(error),
                None => Ok(()),
            })
            .collect(),
        token,
        rolled_back: false,
    }
}
