//! Grouped counts in one statement: `GROUPING SETS` on Postgres, `UNION ALL` on SQLite.

use std::cmp::Ordering;

use campushub_core::repository::GroupCounts;
use campushub_core::{Error, ListQuery, ReadOptions, Result, Scalar};

use super::SqlRepository;
use crate::analytics::analytics_route;
use crate::backend::{Backend, Dialect};
use crate::sql::{push_conditions, SqlBuilder};
use crate::table::SqlEntity;
use crate::value::{ColType, SqlValue};

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Counts of the rows matching `query` per value of each of `fields`: from the counts the
    /// writes keep when they answer it, else from the rows.
    pub(super) async fn fetch_group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        if self.reads_kept_counts(query, fields) {
            let types = self.group_types(fields)?;
            return self.kept_group_counts(fields, &types, read).await;
        }
        self.fetch_group_counts_scanned(query, fields, read).await
    }

    /// The column types of `fields`, each of which must be a schema field with a column.
    fn group_types(&self, fields: &[&'static str]) -> Result<Vec<ColType>> {
        let mut types = Vec::with_capacity(fields.len());
        for field in fields {
            let column = E::schema()
                .field(field)
                .and_then(|_| self.table.column(field).ok());
            let Some(column) = column else {
                return Err(Error::invalid(
                    *field,
                    format!("{} has no field `{field}` to group by", E::KIND),
                ));
            };
            types.push(column.ty);
        }
        Ok(types)
    }

    /// Counts from the rows: one scan, grouped by every field at once.
    pub(super) async fn fetch_group_counts_scanned(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        let types = self.group_types(fields)?;
        let mut b = SqlBuilder::new(self.backend.dialect());
        match b.dialect {
            Dialect::Postgres => self.grouping_sets(&mut b, query, fields)?,
            Dialect::Sqlite => self.union_all(&mut b, query, fields)?,
        }
        // Columns: set index, one per field, count.
        let mut returns = vec![ColType::Int];
        returns.extend(&types);
        returns.push(ColType::Int);
        let rows = self
            .backend
            .fetch(b.finish(returns), &analytics_route(read))
            .await?;

        let mut counts = GroupCounts {
            total: 0,
            groups: fields.iter().map(|f| (*f, Vec::new())).collect(),
        };
        for row in rows {
            let (Some(SqlValue::Int(Some(set))), Some(SqlValue::Int(Some(n)))) =
                (row.first(), row.last())
            else {
                return Err(Error::Internal {
                    message: "malformed grouped count".into(),
                    source: None,
                });
            };
            let n = u64::try_from(*n).unwrap_or(0);
            match usize::try_from(*set).ok().and_then(|s| s.checked_sub(1)) {
                None => counts.total = n,
                Some(i) => {
                    if let (Some(group), Some(value)) = (counts.groups.get_mut(i), row.get(i + 1)) {
                        group.1.push((value.to_scalar(), n));
                    }
                }
            }
        }
        sort_groups(&mut counts);
        Ok(counts)
    }

    /// One scan: `GROUP BY GROUPING SETS ((), (f1), (f2), ...)`; the set index is computed
    /// from `GROUPING(...)`.
    fn grouping_sets(&self, b: &mut SqlBuilder, query: &ListQuery, fields: &[&str]) -> Result<()> {
        b.push("SELECT (CASE");
        for (i, field) in fields.iter().enumerate() {
            b.push(" WHEN GROUPING(")
                .column("t", field)
                .push(") = 0 THEN ");
            b.push(&(i + 1).to_string());
        }
        b.push(" ELSE 0 END)::bigint");
        for field in fields {
            b.push(", ").column("t", field);
        }
        b.push(", count(*) FROM ")
            .ident(self.table.table)
            .push(" t");
        push_conditions(b, &self.table, query, false)?;
        b.push(" GROUP BY GROUPING SETS (()");
        for field in fields {
            b.push(", (").column("t", field).push(")");
        }
        b.push(")");
        Ok(())
    }

    /// `SELECT 0, NULL.., count(*) ... UNION ALL SELECT 1, f1, NULL.., count(*) ... GROUP BY f1 ...`.
    fn union_all(&self, b: &mut SqlBuilder, query: &ListQuery, fields: &[&str]) -> Result<()> {
        for set in 0..=fields.len() {
            if set > 0 {
                b.push(" UNION ALL ");
            }
            b.push("SELECT ").push(&set.to_string());
            for (i, field) in fields.iter().enumerate() {
                b.push(", ");
                if i + 1 == set {
                    b.column("t", field);
                } else {
                    b.push("NULL");
                }
            }
            b.push(", count(*) FROM ")
                .ident(self.table.table)
                .push(" t");
            push_conditions(b, &self.table, query, false)?;
            if set > 0 {
                b.push(" GROUP BY ").column("t", fields[set - 1]);
            }
        }
        Ok(())
    }
}

/// Each field's groups largest count first, equal counts by value with the null group last.
pub(super) fn sort_groups(counts: &mut GroupCounts) {
    for (_, group) in &mut counts.groups {
        group.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| compare_values(&a.0, &b.0)));
    }
}

/// By value, null last.
fn compare_values(a: &Option<Scalar>, b: &Option<Scalar>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => a.compare(b).unwrap_or(Ordering::Equal),
    }
}
