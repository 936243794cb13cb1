//! The audit columns every built-in kind stores after its own: `created_by`, `updated_by`
//! ([`AUDIT_COLUMNS`], read by [`crate::SqlRow::audit`]).

use campushub_core::Audit;

use crate::table::{Column, AUDIT_COLUMNS};
use crate::value::SqlValue;

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
