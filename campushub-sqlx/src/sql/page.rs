//! A list page's statement: the select, its conditions, ordering and limit; a deep
//! page-number page on Postgres reads its keys first (a deferred join).
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
//! sequential scan of the table when the limit was a parameter). See docs/performance.md,
//! "Deferred join for deep page-number pages".

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

/// When a page-number page selects its keys in a subquery and then its rows by key (a
/// deferred join) instead of reading every skipped row.
///
/// Cursor pages never skip rows and always use the plain statement. The rows and their order
/// are the same either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeferredJoin {
    /// On Postgres, where it pays: from 5,000 skipped rows in creation order (`created_at`
    /// first, the default ordering), whose skipped rows lie on few pages, and from 500 in any
    /// other order. Never on SQLite, which skips a row without reading it from the table
    /// when the ordering's index covers the walk, and was measured no faster with it.
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
            DeferredJoin::Auto if dialect != Dialect::Postgres => false,
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
        push_conditions(&mut b, table, query, true)?;
        push_order_and_limit(&mut b, query);
        b.push(match b.dialect {
            Dialect::Postgres => "))",
            Dialect::Sqlite => ")",
        });
        // The keys come back unordered: the page's few rows are sorted again.
        push_order(&mut b, query);
    } else {
        push_conditions(&mut b, table, query, true)?;
        push_order_and_limit(&mut b, query);
    }
    table.finish_select(b, false)
}
