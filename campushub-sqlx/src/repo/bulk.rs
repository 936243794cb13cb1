//! Batch writes: one transaction per batch, multi-row statements under the bind limit, and
//! per-row errors found by pre-checks (uniqueness, references) in a few set queries.

use std::collections::{HashMap, HashSet};

use campushub_core::repository::BulkWritten;
use campushub_core::{ConsistencyToken, Error, Result, Written};
use uuid::Uuid;

use super::hierarchy::Link;
use super::read::CHUNK;
use super::SqlRepository;
use crate::backend::{Backend, Dialect, Statement};
use crate::sql::SqlBuilder;
use crate::table::SqlEntity;
use crate::value::{ColType, SqlValue};

/// Rows per `INSERT ... SELECT * FROM UNNEST(...)` statement on Postgres.
const UNNEST_ROWS: usize = 10_000;

/// A batch on its way to the store: each row's values (`None`: refused before writing, its
/// error in `outcomes`), the link it stores in a tree, and its outcome so far.
struct Batch {
    rows: Vec<Option<Vec<SqlValue>>>,
    links: Vec<Option<Link>>,
    outcomes: Vec<Option<Error>>,
}

/// The rows of a batch, for writing them one by one.
#[derive(Clone, Copy)]
enum Rows<'a, E> {
    Insert(&'a [E]),
    Update(&'a [(E, i64)]),
    Delete(&'a [(Uuid, i64)]),
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    pub(super) async fn insert_batch(&self, entities: &[E]) -> Result<BulkWritten> {
        let mut outcomes: Vec<Option<Error>> = (0..entities.len()).map(|_| None).collect();
        let mut rows: Vec<Option<Vec<SqlValue>>> = Vec::with_capacity(entities.len());
        for (i, entity) in entities.iter().enumerate() {
            match self.table.row_values(entity) {
                Ok(values) => rows.push(Some(values)),
                Err(error) => {
                    outcomes[i] = Some(error.into());
                    rows.push(None);
                }
            }
        }
        self.check_unique(&mut rows, &mut outcomes).await?;
        self.check_references(&mut rows, &mut outcomes).await?;

        let links: Vec<Option<Link>> = rows.iter().map(|r| self.link(r.as_deref()?)).collect();
        let per_statement = self.rows_per_statement(0);
        let build = |rows: Vec<Vec<SqlValue>>| {
            let mut statements = Vec::new();
            let mut chunk = Vec::with_capacity(per_statement);
            for values in rows {
                chunk.push(values);
                if chunk.len() == per_statement {
                    statements.push(self.table.insert(std::mem::take(&mut chunk)));
                }
            }
            if !chunk.is_empty() {
                statements.push(self.table.insert(chunk));
            }
            statements
        };
        let accepted: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].is_some()).collect();
        match self
            .write_batch(&mut rows, &links, &mut outcomes, build)
            .await
        {
            Ok(written) => Ok(finish(outcomes, written.and_then(|(_, token)| token))),
            Err(_) => {
                // Something changed between the checks and the write: row by row instead.
                let pending = accepted
                    .into_iter()
                    .filter(|i| outcomes[*i].is_none())
                    .collect();
                let token = self
                    .one_by_one(&mut outcomes, pending, Rows::Insert(entities))
                    .await;
                Ok(finish(outcomes, token))
            }
        }
    }

    pub(super) async fn update_batch(&self, entities: &[(E, i64)]) -> Result<BulkWritten> {
        let mut outcomes: Vec<Option<Error>> = (0..entities.len()).map(|_| None).collect();
        let mut rows: Vec<Option<Vec<SqlValue>>> = Vec::with_capacity(entities.len());
        let mut links: Vec<Option<Link>> = Vec::with_capacity(entities.len());
        for (i, (entity, expected)) in entities.iter().enumerate() {
            match self.table.row_values(entity) {
                Ok(mut values) => {
                    links.push(self.link(&values));
                    values.insert(1, (*expected).into());
                    rows.push(Some(values));
                }
                Err(error) => {
                    outcomes[i] = Some(error.into());
                    links.push(None);
                    rows.push(None);
                }
            }
        }
        let per_statement = self.rows_per_statement(1);
        let build = |rows: Vec<Vec<SqlValue>>| {
            let mut rows = rows.into_iter().peekable();
            let mut statements = Vec::new();
            while rows.peek().is_some() {
                let chunk = rows.by_ref().take(per_statement).collect();
                statements.push(self.update_statement(chunk));
            }
            statements
        };
        let keys: Vec<(Uuid, i64)> = entities.iter().map(|(e, v)| (e.meta().id, *v)).collect();
        let batch = Batch {
            rows,
            links,
            outcomes,
        };
        self.versioned_batch(batch, build, &keys, Rows::Update(entities))
            .await
    }

    pub(super) async fn delete_batch(&self, rows: &[(Uuid, i64)]) -> Result<BulkWritten> {
        // A delete binds two values a row (id, expected version), whatever the table.
        let per_statement = (self.backend.dialect().max_binds() / 2).min(CHUNK);
        let build = |values: Vec<Vec<SqlValue>>| {
            let keys: Vec<(Uuid, i64)> = values.iter().filter_map(|v| key_of(v)).collect();
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
        self.versioned_batch(batch, build, rows, Rows::Delete(rows))
            .await
    }

    /// Runs versioned batch statements (each `RETURNING id`) in one transaction, explaining
    /// the rows they did not touch; if the transaction fails, writes row by row with `one`.
    async fn versioned_batch(
        &self,
        batch: Batch,
        build: impl Fn(Vec<Vec<SqlValue>>) -> Vec<Statement>,
        keys: &[(Uuid, i64)],
        rows: Rows<'_, E>,
    ) -> Result<BulkWritten> {
        let Batch {
            rows: mut values,
            links,
            mut outcomes,
        } = batch;
        match self
            .write_batch(&mut values, &links, &mut outcomes, build)
            .await
        {
            Ok(None) => Ok(finish(outcomes, None)),
            Ok(Some((results, token))) => {
                let done = returned_ids(results.into_iter().flat_map(|r| r.rows));
                self.explain_missed(keys, &done, &mut outcomes).await?;
                Ok(finish(outcomes, token))
            }
            Err(_) => {
                let pending: Vec<usize> =
                    (0..keys.len()).filter(|i| outcomes[*i].is_none()).collect();
                let token = self.one_by_one(&mut outcomes, pending, rows).await;
                Ok(finish(outcomes, token))
            }
        }
    }

    /// Writes the rows `pending` of `rows` one by one, recording failures; the latest token.
    async fn one_by_one(
        &self,
        outcomes: &mut [Option<Error>],
        pending: Vec<usize>,
        rows: Rows<'_, E>,
    ) -> Option<ConsistencyToken> {
        let mut token = None;
        for i in pending {
            let outcome: Result<Written> = match rows {
                Rows::Insert(entities) => self.insert_one(&entities[i]).await,
                Rows::Update(entities) => self.update_one(&entities[i].0, entities[i].1).await,
                Rows::Delete(keys) => self.delete_one(keys[i].0, keys[i].1).await,
            };
            match outcome {
                Ok(written) => token = token.max(written.token),
                Err(error) => outcomes[i] = Some(error),
            }
        }
        token
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

    /// Records NotFound or PreconditionFailed for rows a versioned batch did not touch.
    async fn explain_missed(
        &self,
        keys: &[(Uuid, i64)],
        done: &HashSet<Uuid>,
        outcomes: &mut [Option<Error>],
    ) -> Result<()> {
        let missed: Vec<usize> = (0..keys.len())
            .filter(|i| outcomes[*i].is_none() && !done.contains(&keys[*i].0))
            .collect();
        if missed.is_empty() {
            return Ok(());
        }
        let missed_ids: Vec<Uuid> = missed.iter().map(|i| keys[*i].0).collect();
        let mut stored = HashMap::new();
        for chunk in missed_ids.chunks(CHUNK) {
            stored.extend(self.stored_versions(chunk).await?);
        }
        for i in missed {
            let (id, expected) = keys[i];
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

fn finish(outcomes: Vec<Option<Error>>, token: Option<ConsistencyToken>) -> BulkWritten {
    BulkWritten {
        rows: outcomes
            .into_iter()
            .map(|o| match o {
                Some(error) => Err(error),
                None => Ok(()),
            })
            .collect(),
        token,
    }
}
