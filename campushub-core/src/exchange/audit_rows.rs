//! The audit log as spreadsheet rows: one row per changed field, so that an auditor can
//! filter a column (`field` = `status`) in any spreadsheet program to answer "who changed
//! this student's status, when, and from what".

use chrono::SecondsFormat;

use super::cell::Cell;
use super::values::{plain_cell, text_cell, LIST_SEPARATOR};
use crate::audit_log::{AuditEntry, FieldChange};

/// The header row of an audit-log export, in column order.
pub const AUDIT_HEADERS: [&str; 16] = [
    "at",
    "entry_id",
    "action",
    "kind",
    "record_id",
    "version_before",
    "version_after",
    "actor",
    "actor_roles",
    "api_key",
    "request_id",
    "client_address",
    "field",
    "private",
    "old",
    "new",
];

/// The rows of `entry`: one per changed field, in field-name order, each repeating the
/// entry's columns; a single row with empty `field`, `old` and `new` when the entry names no
/// field. A private field's row has `private` true and no values (the log has none).
pub fn audit_rows(entry: &AuditEntry) -> Vec<Vec<Cell>> {
    let version = |v: Option<i64>| v.map_or(Cell::Empty, Cell::Int);
    let entry_cells = [
        Cell::Text(entry.at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        Cell::Text(entry.id.to_string()),
        Cell::Text(entry.action.as_str().to_owned()),
        text_cell(&entry.kind),
        Cell::Text(entry.record_id.to_string()),
        version(entry.version_before),
        version(entry.version_after),
        text_cell(&entry.actor.subject),
        text_cell(&entry.actor.roles.join(LIST_SEPARATOR)),
        entry
            .actor
            .api_key
            .as_deref()
            .map_or(Cell::Empty, text_cell),
        entry.request_id.as_deref().map_or(Cell::Empty, text_cell),
        entry
            .client_address
            .as_deref()
            .map_or(Cell::Empty, text_cell),
    ];
    let row = |field: Cell, private: Cell, old: Cell, new: Cell| {
        let mut row = Vec::with_capacity(AUDIT_HEADERS.len());
        row.extend(entry_cells.iter().cloned());
        row.extend([field, private, old, new]);
        row
    };
    if entry.changes.is_empty() {
        return vec![row(Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty)];
    }
    entry
        .changes
        .iter()
        .map(|(field, change)| match change {
            FieldChange::Values { old, new } => row(
                text_cell(field),
                Cell::Bool(false),
                plain_cell(old),
                plain_cell(new),
            ),
            FieldChange::Redacted { .. } => {
                row(text_cell(field), Cell::Bool(true), Cell::Empty, Cell::Empty)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::audit_log::AuditAction;
    use crate::auth::{Principal, Role};
    use crate::kind::EntityKind;

    fn entry() -> AuditEntry {
        let principal = Principal::new("=cmd|' /C calc'!A0", [Role::ADMIN]);
        AuditEntry::new(
            &principal,
            AuditAction::Patch,
            EntityKind::STUDENT,
            Uuid::nil(),
            (Some(2), Some(3)),
        )
    }

    fn text(cell: &Cell) -> &str {
        match cell {
            Cell::Text(text) => text,
            _ => "",
        }
    }

    #[test]
    fn one_row_per_changed_field_with_the_entry_repeated() {
        let mut entry = entry();
        entry.changes.insert(
            "status".to_owned(),
            FieldChange::Values {
                old: json!("active"),
                new: json!("graduated"),
            },
        );
        entry.changes.insert(
            "semester".to_owned(),
            FieldChange::Values {
                old: json!(3),
                new: json!(4),
            },
        );
        entry
            .changes
            .insert("date_of_birth".to_owned(), FieldChange::REDACTED);
        let rows = audit_rows(&entry);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|row| row.len() == AUDIT_HEADERS.len()));
        let fields: Vec<&str> = rows.iter().map(|row| text(&row[12])).collect();
        assert_eq!(fields, ["date_of_birth", "semester", "status"]);
        assert_eq!(
            rows[0][13..],
            [Cell::Bool(true), Cell::Empty, Cell::Empty],
            "a private field: changed, no values"
        );
        assert_eq!(
            rows[1][13..],
            [Cell::Bool(false), Cell::Int(3), Cell::Int(4)]
        );
        assert_eq!(
            rows[2][14..],
            [
                Cell::Text("active".to_owned()),
                Cell::Text("graduated".to_owned())
            ]
        );
        for row in &rows {
            assert_eq!(text(&row[2]), "patch");
            assert_eq!(text(&row[3]), "student");
            assert_eq!(row[5..7], [Cell::Int(2), Cell::Int(3)]);
            assert_eq!(text(&row[8]), "admin");
            assert_eq!(row[9], Cell::Empty, "no API key");
        }
    }

    #[test]
    fn an_entry_without_fields_is_one_row_and_text_is_escaped() {
        let rows = audit_rows(&entry());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0][12..],
            [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]
        );
        assert!(
            text(&rows[0][7]).starts_with("'="),
            "an actor that reads as a formula is escaped: {:?}",
            rows[0][7]
        );
        assert!(text(&rows[0][0]).ends_with('Z'), "{:?}", rows[0][0]);
    }
}
