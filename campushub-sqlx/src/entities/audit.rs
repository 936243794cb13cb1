//! The audit columns every built-in kind stores after its own: `created_by`, `updated_by`.

use campushub_core::Audit;

use crate::row::SqlRow;
use crate::table::Column;
use crate::value::{ColType, SqlValue};
use crate::Result;

/// The audit columns, in the order [`audited_values`] appends their values.
const AUDIT_COLUMNS: [Column; 2] = [
    Column::new("created_by", ColType::Text),
    Column::new("updated_by", ColType::Text),
];

/// A kind's columns: its `own`, then the audit columns.
pub(super) fn audited_columns(own: &[Column]) -> Vec<Column> {
    [own, &AUDIT_COLUMNS].concat()
}

/// A kind's values in the order of [`audited_columns`]: its `own`, then `audit`'s.
pub(super) fn audited_values(
    own: impl IntoIterator<Item = SqlValue>,
    audit: &Audit,
) -> Vec<SqlValue> {
    let audit = [
        audit.created_by.clone().into(),
        audit.updated_by.clone().into(),
    ];
    own.into_iter().chain(audit).collect()
}

/// The audit fields read from `row` (each `None` where the column is null).
pub(super) fn audit_from_row(row: &SqlRow<'_>) -> Result<Audit> {
    Ok(Audit {
        created_by: row.opt_text("created_by")?,
        updated_by: row.opt_text("updated_by")?,
    })
}
