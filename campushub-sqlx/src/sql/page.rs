//! A list page's statement: the select, its conditions, ordering and limit; a deep
//! page-number page reads its keys first (a deferred join) where that was measured to pay.
//!
//! `OFFSET n` makes the database visit every skipped row: with the plain statement each of
//! them is a heap tuple fetched through the ordering's index. The deferred form walks the
//! ordering in a subquery that selects only `id` (answered from the ordering's index alone
//! when it covers the filters) and then fetches the page's rows by primary key:
//!
//! ```sql
//! SELECT t.* FROM students t
//! WHERE t.id = ANY(ARRAY(SELECT t.id FROM students t WHERE … ORDER BY … LIMIT $n OFFSET $m))
//! ORDER BY …
//! ```
//!
//! The inner query reuses the alias `t` (it shadows the outer one), so that the conditions
//! and the ordering are written by the same code as the plain statement's. `= ANY(ARRAY(…))`
//! rather than a join: the subquery becomes an init plan whose result Postgres estimates at
//! ten rows whatever the `LIMIT` parameter, so the outer read stays a probe of the primary
//! key in the generic plan too (a `JOIN` to the subquery was planned as a hash join over a
//! sequential scan of the table when the limit was a parameter). SQLite writes
//! `t.id IN (SELECT …)`, which it answers the same way (a list from the covering index, then
//! a search by primary key). See docs/performance.md, "Deferred join for deep page-number
//! pages".

use campushub_core::ListQuery;

use super::order::push_order;
use super::{push_conditions, push_order_and_limit, TableSql};
use crate::backend::{Dialect, Statement};
use crate::error::Result;
use crate::table::SqlEntity;

/// Rows a page-number page in creation order (`created_at` its first key, either way) skips
/// before [`DeferredJoin::Auto`] reads its keys first on Postgres. Rows are stored about in the
/// order they were created, so the rows such a walk skips lie on few heap pages (32 rows to a
/// page of students): below about 5,000 the page's probes of the primary key (4 pages each)
/// cost more than the skipped rows' pages.
pub(crate) const DEFERRED_FROM_IN_CREATION_ORDER: u64 = 5_000;

/// The same for any other ordering: its skipped rows lie on a page each, and the deferred
/// join was 1.7 × faster from 500 on (docs/performance.md).
pub(crate) const DEFERRED_FROM: u64 = 500;

/// The same on SQLite, in any ordering: below it the subquery, the probes and the sort of the
/// page cost as much as the skipped rows or more (5–15 % slower up to 2,000, even at 5,000);
/// from it on the deferred form was 1.3 × faster, and more the deeper.
pub(crate) const SQLITE_DEFERRED_FROM: u64 = 10_000;

/// When a page-number page selects its keys in a subquery and then its rows by key (a
/// deferred join) instead of reading every skipped row.
///
/// Cursor pages never skip rows and always use the plain statement. The rows and their order
/// are the same either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeferredJoin {
    /// Where it was measured to pay: on Postgres from 5,000 skipped rows in creation order
    /// (`created_at` first, the default ordering), whose skipped rows lie on few pages, and
    /// from 500 in any other order; on SQLite from 10,000 in any order.
    #[default]
    Auto,
    /// Every page that skips rows, on either backend.
    Always,
    /// Never: the plain `ORDER BY … LIMIT … OFFSET …` statement.
    Never,
}

impl DeferredJoin {
    /// Whether a page of `query` is read through a deferred join on `dialect`.
    pub(crate) fn applies(self, dialect: Dialect, query: &ListQuery) -> bool {
        let offset = query.offset();
        match self {
            DeferredJoin::Never => false,
            DeferredJoin::Always => offset > 0,
            DeferredJoin::Auto if dialect == Dialect::Sqlite => offset >= SQLITE_DEFERRED_FROM,
            DeferredJoin::Auto => {
                let in_creation_order = query
                    .ordering
                    .first()
                    .is_some_and(|key| key.field.name == "created_at");
                let from = if in_creation_order {
                    DEFERRED_FROM_IN_CREATION_ORDER
                } else {
                    DEFERRED_FROM
                };
                offset >= from
            }
        }
    }
}

/// The statement of one page of `query` (no embedded summaries joined: a page looks them up
/// afterwards), deferred or plain as `deferred` says.
pub(crate) fn page_statement<E: SqlEntity>(
    table: &TableSql<E>,
    query: &ListQuery,
    deferred: bool,
) -> Result<Statement> {
    let mut b = table.select(false)?;
    // Deferred, the plain statement's conditions, ordering and limit select the keys alone.
    if deferred {
        b.push(" WHERE ").column("t", "id");
        b.push(match b.dialect {
            Dialect::Postgres => " = ANY(ARRAY(SELECT ",
            Dialect::Sqlite => " IN (SELECT ",
        });
        b.column("t", "id")
            .push(" FROM ")
            .ident(table.table)
            .push(" t");
    }
    push_conditions(&mut b, table, query, true)?;
    push_order_and_limit(&mut b, query);
    if deferred {
        b.push(match b.dialect {
            Dialect::Postgres => "))",
            Dialect::Sqlite => ")",
        });
        // The keys come back unordered: the page's few rows are sorted again.
        push_order(&mut b, query);
    }
    table.finish_select(b, false)
}

#[cfg(test)]
mod tests {
    use campushub_core::query::{Keyset, OrderKey, Pagination};
    use campushub_core::{Entity, ListQuery, Student};
    use uuid::Uuid;

    use super::*;

    /// Page `page` of 50 students, by `ordering` (the default when `None`).
    fn page(page: u32, ordering: Option<&str>) -> ListQuery {
        let mut query = ListQuery::new(Student::schema());
        if let Some(name) = ordering {
            let field = Student::schema().field(name).expect("a student field");
            query.ordering = vec![OrderKey {
                field,
                descending: false,
            }];
        }
        query.page_size = 50;
        query.pagination = Pagination::Number(page);
        query
    }

    #[test]
    fn auto_defers_from_the_measured_depths() {
        let auto = |dialect, query: &ListQuery| DeferredJoin::Auto.applies(dialect, query);
        // Postgres in creation order: from 5,000 skipped rows (page 101 of 50).
        assert!(!auto(Dialect::Postgres, &page(100, None)));
        assert!(auto(Dialect::Postgres, &page(101, None)));
        // In any other order from 500 (page 11).
        assert!(!auto(Dialect::Postgres, &page(10, Some("last_name"))));
        assert!(auto(Dialect::Postgres, &page(11, Some("last_name"))));
        // SQLite from 10,000 in any order (page 201).
        assert!(!auto(Dialect::Sqlite, &page(200, Some("last_name"))));
        assert!(auto(Dialect::Sqlite, &page(201, None)));
    }

    #[test]
    fn only_pages_that_skip_rows_are_deferred() {
        let mut cursor = page(1, None);
        cursor.pagination = Pagination::Cursor(Some(Keyset {
            backwards: false,
            values: vec![],
            id: Uuid::nil(),
        }));
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            assert!(!DeferredJoin::Always.applies(dialect, &page(1, None)));
            assert!(!DeferredJoin::Always.applies(dialect, &cursor));
            assert!(DeferredJoin::Always.applies(dialect, &page(2, None)));
            assert!(!DeferredJoin::Never.applies(dialect, &page(2_000, Some("last_name"))));
        }
    }
}
