//! Writes to a tree ([`Hierarchy`]): the chain of parents is checked inside the write's own
//! transaction, under a lock every such write of the table takes, so that two concurrent
//! moves (`A.parent = B`, `B.parent = A`) cannot both pass a check made before either wrote.

use std::collections::HashMap;

use campushub_core::{ChangeEvent, ConsistencyToken, Error};
use uuid::Uuid;

use super::SqlRepository;
use crate::backend::{Backend, Dialect, Guarded, Statement, StatementResult, WriteGuard};
use crate::sql::SqlBuilder;
use crate::table::{Hierarchy, SqlEntity};
use crate::value::{ColType, SqlValue};

/// A row a write stores: its id and the parent it is given (`None`: a root).
pub(super) type Link = (Uuid, Option<Uuid>);

/// What a write that may be guarded did.
pub(super) enum Outcome {
    /// Committed: the statements' outcomes and the commit's token.
    Written(Vec<StatementResult>, Option<ConsistencyToken>),
    /// Refused by the hierarchy check, nothing written: the error of each refused row.
    Refused(HashMap<Uuid, Error>),
    /// Vetoed by a transaction hook, nothing written: the hook's error.
    Vetoed(Error),
}

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// The link `values` (a row as [`crate::sql::TableSql::row_values`] makes it) stores,
    /// when `E` is a tree; `None` otherwise.
    pub(super) fn link(&self, values: &[SqlValue]) -> Option<Link> {
        let hierarchy = E::hierarchy()?;
        let index = self
            .table
            .columns
            .iter()
            .position(|c| c.name == hierarchy.column)?;
        match (values.first(), values.get(index)) {
            (Some(SqlValue::Uuid(Some(id))), Some(SqlValue::Uuid(parent))) => Some((*id, *parent)),
            _ => None,
        }
    }

    /// Runs `statements`, which store `links` and make `change`: guarded when some link
    /// names a parent (a row made a root cannot close a cycle), else as a plain write; in a
    /// transaction of its own that runs the repository's transaction hooks when it has some.
    pub(super) async fn write_links(
        &self,
        links: &[Link],
        statements: Vec<Statement>,
        change: ChangeEvent,
    ) -> crate::Result<Outcome> {
        let guard = E::hierarchy()
            .filter(|_| links.iter().any(|(_, parent)| parent.is_some()))
            .map(|hierarchy| self.guard(&hierarchy, links));
        if !self.hooks.is_empty() {
            return self.write_hooked(guard, statements, change).await;
        }
        let Some(guard) = guard else {
            let (results, token) = self.backend.write(statements).await?;
            return Ok(Outcome::Written(results, token));
        };
        match self.backend.write_guarded(guard, statements).await? {
            Guarded::Written(results, token) => Ok(Outcome::Written(results, token)),
            Guarded::Refused(rows) => Ok(Outcome::Refused(refusals::<E>(rows))),
        }
    }

    /// [`SqlRepository::write_links`] with transaction hooks: the guard's check and the
    /// statements in one transaction, then the hooks on `change` when a statement touched a
    /// row (a versioned write that matched none changed nothing), then the commit.
    async fn write_hooked(
        &self,
        guard: Option<WriteGuard>,
        statements: Vec<Statement>,
        change: ChangeEvent,
    ) -> crate::Result<Outcome> {
        let mut tx = self.backend.begin(guard.as_ref().map(|g| g.lock)).await?;
        if let Some(guard) = guard {
            let refused = tx.run(guard.check).await?;
            if !refused.rows.is_empty() {
                tx.rollback().await?;
                return Ok(Outcome::Refused(refusals::<E>(refused.rows)));
            }
        }
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            results.push(tx.run(statement).await?);
        }
        if results.iter().any(|r| r.rows_affected > 0) {
            let dialect = self.backend.dialect();
            if let Err(veto) = self.hooks.run(&mut *tx, dialect, &[change]).await {
                tx.rollback().await?;
                return Ok(Outcome::Vetoed(veto));
            }
        }
        let token = tx.commit().await?;
        Ok(Outcome::Written(results, token))
    }

    /// The lock of `E`'s table and the check of `links` against the committed tree.
    ///
    /// The check walks up from each link's new parent, seeing the tree as it will be once
    /// every link is stored (a link overrides the row's stored parent), for at most
    /// `max_depth` parents. It returns a row `(id, reason)` per link that reaches its own row
    /// (`cycle`) or a chain longer than the bound (`too_deep`): what
    /// `DepartmentHierarchy`'s walk refuses, step for step.
    pub(super) fn guard(&self, hierarchy: &Hierarchy, links: &[Link]) -> WriteGuard {
        let depth = i64::try_from(hierarchy.max_depth).unwrap_or(i64::MAX);
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("WITH RECURSIVE v(\"id\", \"parent\") AS (");
        match b.dialect {
            // Two arrays, whatever the batch's size.
            Dialect::Postgres => {
                let ids = links.iter().map(|(id, _)| SqlValue::Uuid(Some(*id)));
                let parents = links.iter().map(|(_, parent)| SqlValue::Uuid(*parent));
                b.push("SELECT * FROM UNNEST(");
                b.bind(SqlValue::Array(ColType::Uuid, ids.collect()));
                b.push(", ")
                    .bind(SqlValue::Array(ColType::Uuid, parents.collect()));
                b.push(")");
            }
            Dialect::Sqlite => {
                b.push("VALUES ");
                for (i, (id, parent)) in links.iter().enumerate() {
                    if i > 0 {
                        b.push(", ");
                    }
                    b.bind_tuple([SqlValue::Uuid(Some(*id)), SqlValue::Uuid(*parent)]);
                }
            }
        }
        b.push("), chain(\"start\", \"id\", \"depth\") AS (");
        b.push("SELECT v.\"id\", v.\"parent\", 1 FROM v WHERE v.\"parent\" IS NOT NULL");
        b.push(" UNION ALL SELECT c.\"start\", CASE WHEN EXISTS (SELECT 1 FROM v WHERE v.\"id\" = c.\"id\")");
        b.push(" THEN (SELECT v.\"parent\" FROM v WHERE v.\"id\" = c.\"id\" LIMIT 1)");
        b.push(" ELSE (SELECT t.").ident(hierarchy.column);
        b.push(" FROM ").ident(E::TABLE);
        b.push(" t WHERE t.\"id\" = c.\"id\") END, c.\"depth\" + 1 FROM chain c");
        b.push(" WHERE c.\"id\" IS NOT NULL AND c.\"id\" <> c.\"start\" AND c.\"depth\" <= ");
        b.bind(depth.into());
        b.push(") SELECT c.\"start\", CASE WHEN c.\"depth\" > ");
        b.bind(depth.into());
        b.push(" THEN 'too_deep' ELSE 'cycle' END FROM chain c");
        b.push(" WHERE c.\"id\" IS NOT NULL AND (c.\"id\" = c.\"start\" OR c.\"depth\" > ");
        b.bind(depth.into());
        b.push(")");
        WriteGuard {
            lock: lock_key(E::TABLE),
            check: b.finish(vec![ColType::Uuid, ColType::Text]),
        }
    }
}

/// The error of a single-row write the check refused.
pub(super) fn the_refusal(errors: HashMap<Uuid, Error>) -> Error {
    errors
        .into_values()
        .next()
        .unwrap_or_else(|| Error::Internal {
            message: "the hierarchy check refused a write without saying why".into(),
            source: None,
        })
}

/// Records the error of each row among `pending` that the hierarchy check refused (`rows`,
/// what the check returned; `links[i]`, the link row `i` stores).
///
/// # Errors
/// When no refusal names a pending row: trying the batch again would loop.
pub(super) fn refused_rows<E: SqlEntity>(
    rows: Vec<Vec<SqlValue>>,
    pending: &[usize],
    links: &[Option<Link>],
    outcomes: &mut [Option<Error>],
) -> crate::Result<()> {
    let mut errors = refusals::<E>(rows);
    let before = errors.len();
    for &i in pending {
        if let Some((id, _)) = links[i] {
            if let Some(error) = errors.remove(&id) {
                outcomes[i] = Some(error);
            }
        }
    }
    if errors.len() == before {
        return Err(crate::Error::Config(
            "the hierarchy check refused rows the batch does not hold".into(),
        ));
    }
    Ok(())
}

/// The error of each row the check returned.
fn refusals<E: SqlEntity>(rows: Vec<Vec<SqlValue>>) -> HashMap<Uuid, Error> {
    let Some(hierarchy) = E::hierarchy() else {
        return HashMap::new();
    };
    rows.into_iter()
        .filter_map(|row| match (row.first(), row.get(1)) {
            (Some(SqlValue::Uuid(Some(id))), Some(SqlValue::Text(Some(reason)))) => {
                let error = match reason.as_str() {
                    "cycle" => (hierarchy.cycle)(),
                    _ => (hierarchy.too_deep)(),
                };
                Some((*id, error))
            }
            _ => None,
        })
        .collect()
}

/// The advisory-lock key of `table`'s tree: FNV-1a of `campushub.hierarchy.<table>`, fixed
/// across processes and versions, so every server writing the table takes the same lock.
fn lock_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "campushub.hierarchy.".bytes().chain(table.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_fixed_and_differ_by_table() {
        // Pinned: servers of two versions writing one database during a rolling upgrade
        // must take the same lock.
        assert_eq!(lock_key("departments"), -1_203_810_663_793_592_969);
        assert_ne!(lock_key("departments"), lock_key("units"));
    }
}
