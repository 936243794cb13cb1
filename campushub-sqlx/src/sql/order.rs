//! Ordering and keyset positions: `ORDER BY` in walk direction and the "after this row"
//! predicate, expanded for mixed directions.

use campushub_core::query::{Keyset, OrderKey, Pagination};
use campushub_core::ListQuery;

use super::{SqlBuilder, TableSql};
use crate::error::{Error, Result};
use crate::table::SqlEntity;
use crate::value::SqlValue;

/// The sort keys in walk order: `(column, descending)`, `id` last in the last key's
/// direction, all flipped for a backwards cursor.
fn walk_keys(ordering: &[OrderKey], backwards: bool) -> Vec<(&'static str, bool)> {
    let mut keys: Vec<(&'static str, bool)> = ordering
        .iter()
        .filter(|k| k.field.name != "id")
        .map(|k| (k.field.name, k.descending != backwards))
        .collect();
    let last = ordering
        .last()
        .map(|k| k.descending != backwards)
        .unwrap_or(backwards);
    keys.push(("id", last));
    keys
}

fn is_backwards(query: &ListQuery) -> bool {
    matches!(
        &query.pagination,
        Pagination::Cursor(Some(Keyset {
            backwards: true,
            ..
        }))
    )
}

/// Appends ` ORDER BY ... LIMIT ? [OFFSET ?]` for the query.
pub(crate) fn push_order_and_limit(b: &mut SqlBuilder, query: &ListQuery) {
    push_order(b, query);
    b.push(" LIMIT ").bind(i64::from(query.limit()).into());
    if query.offset() > 0 {
        let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
        b.push(" OFFSET ").bind(offset.into());
    }
}

/// Appends ` ORDER BY ...` for the query, over the columns of alias `t`.
pub(crate) fn push_order(b: &mut SqlBuilder, query: &ListQuery) {
    b.push(" ORDER BY ");
    for (i, (column, descending)) in walk_keys(&query.ordering, is_backwards(query))
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            b.push(", ");
        }
        b.column("t", column)
            .push(if descending { " DESC" } else { " ASC" });
    }
}

/// Appends the predicate "the row lies after `position` in walk order".
pub(crate) fn push_position<E: SqlEntity>(
    b: &mut SqlBuilder,
    table: &TableSql<E>,
    ordering: &[OrderKey],
    position: &Keyset,
) -> Result<()> {
    let keys = walk_keys(ordering, position.backwards);
    let named: Vec<&OrderKey> = ordering.iter().filter(|k| k.field.name != "id").collect();
    let mut values = Vec::with_capacity(keys.len());
    for (key, scalar) in named.iter().zip(&position.values) {
        let ty = table.column(key.field.name)?.ty;
        values.push(SqlValue::from_scalar(scalar, ty).ok_or_else(|| {
            Error::Unsupported(format!("cursor value {scalar:?} for `{}`", key.field.name))
        })?);
    }
    if values.len() != named.len() {
        return Err(Error::Unsupported(
            "cursor does not match the ordering".to_owned(),
        ));
    }
    values.push(position.id.into());

    let uniform = keys.iter().all(|(_, d)| *d == keys[0].1);
    if uniform {
        // One row-value comparison, which an index on the keys serves directly.
        let sign = if keys[0].1 { " < " } else { " > " };
        b.push("(");
        for (i, (column, _)) in keys.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.column("t", column);
        }
        b.push(")").push(sign).bind_tuple(values);
        return Ok(());
    }
    // (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ...
    b.push("(");
    for i in 0..keys.len() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(");
        for j in 0..i {
            b.column("t", keys[j].0)
                .push(" = ")
                .bind(values[j].clone())
                .push(" AND ");
        }
        let sign = if keys[i].1 { " < " } else { " > " };
        b.column("t", keys[i].0)
            .push(sign)
            .bind(values[i].clone())
            .push(")");
    }
    b.push(")");
    Ok(())
}
