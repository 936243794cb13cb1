//! The schema of a kind, generated from its description ([`SqlEntity`] and its
//! [`campushub_core::Schema`]) for either backend: the table with its unique and foreign keys,
//! an index per declared filter and ordering, and the outbox's capture of its changes.
//!
//! The statements are the ones a hand-written migration would hold (`print` them to start
//! one); [`create_table`] returns them in order, each one statement.

use crate::backend::Dialect;
use crate::table::{SqlEntity, META_COLUMNS};
use crate::value::ColType;

fn column_type(dialect: Dialect, ty: ColType) -> &'static str {
    match (dialect, ty) {
        (Dialect::Postgres, ColType::Text) => "text COLLATE \"C\"",
        (Dialect::Postgres, ColType::Int) => "bigint",
        (Dialect::Postgres, ColType::Float) => "double precision",
        (Dialect::Postgres, ColType::Bool) => "boolean",
        (Dialect::Postgres, ColType::Uuid) => "uuid",
        (Dialect::Postgres, ColType::Date) => "date",
        (Dialect::Postgres, ColType::DateTime) => "timestamptz",
        (Dialect::Postgres, ColType::Json) => "jsonb",
        (Dialect::Sqlite, ColType::Text | ColType::Uuid | ColType::Date | ColType::Json) => "TEXT",
        (Dialect::Sqlite, ColType::Int | ColType::Bool | ColType::DateTime) => "INTEGER",
        (Dialect::Sqlite, ColType::Float) => "REAL",
    }
}

/// The statements that create `E`'s table on `dialect`, in order.
///
/// A column is `NOT NULL` unless its schema field is nullable; each [`SqlEntity::unique_keys`]
/// is a named `UNIQUE` constraint and each [`SqlEntity::foreign_keys`] a named foreign key;
/// each filterable field that no unique key leads gets an index, and each orderable one an
/// index on `(field, id)` for keyset pages; on Postgres each search field gets a trigram index.
/// On Postgres the table's changes are captured by
/// `campushub_capture_changes` (the outbox, `0012_outbox.sql`); on SQLite by the same four row
/// triggers as the built-in tables (`0010_outbox.sql`).
pub fn create_table<E: SqlEntity>(dialect: Dialect) -> Vec<String> {
    let table = E::TABLE;
    let schema = E::schema();
    let mut lines: Vec<String> = META_COLUMNS
        .iter()
        .map(|column| {
            let ty = column_type(dialect, column.ty);
            match column.name {
                "id" => format!("id {ty} PRIMARY KEY"),
                name => format!("{name} {ty} NOT NULL"),
            }
        })
        .collect();
    for column in E::columns() {
        let nullable = schema.field(column.name).is_none_or(|f| f.nullable);
        lines.push(column_definition(dialect, column.name, column.ty, nullable));
    }
    for key in E::unique_keys() {
        let columns = key.columns.join(", ");
        lines.push(format!("CONSTRAINT {} UNIQUE ({columns})", key.constraint));
    }
    for key in E::foreign_keys() {
        lines.push(format!(
            "CONSTRAINT {table}_{column}_fkey FOREIGN KEY ({column}) REFERENCES {target} (id)",
            column = key.column,
            target = key.table,
        ));
    }
    let mut statements = vec![format!(
        "CREATE TABLE {table} (\n    {}\n)",
        lines.join(",\n    ")
    )];
    statements.extend(indexes::<E>(dialect).into_iter().map(|(_, sql)| sql));
    statements.extend(capture_changes(dialect, table, E::KIND.as_str()));
    statements
}

/// A column's definition in `CREATE TABLE` or `ADD COLUMN`: its name, type and, unless
/// `nullable`, `NOT NULL`.
pub(crate) fn column_definition(
    dialect: Dialect,
    name: &str,
    ty: ColType,
    nullable: bool,
) -> String {
    let null = if nullable { "" } else { " NOT NULL" };
    format!("{name} {}{null}", column_type(dialect, ty))
}

/// The indexes of `E`'s table on `dialect` besides its keys, each as its name and the
/// statement creating it: one on `(created_at, id)` for the default order, one per
/// filterable field that no unique key leads, one on `(field, id)` per orderable field for
/// keyset pages and, on Postgres, a trigram index per search field.
pub(crate) fn indexes<E: SqlEntity>(dialect: Dialect) -> Vec<(String, String)> {
    let table = E::TABLE;
    let schema = E::schema();
    let index = |name: String, rest: String| {
        let sql = format!("CREATE INDEX {name} ON {table} {rest}");
        (name, sql)
    };
    let mut indexes = vec![index(
        format!("{table}_created_at_id_idx"),
        "(created_at DESC, id DESC)".to_owned(),
    )];
    let led_by_key = |name: &str| {
        E::unique_keys()
            .iter()
            .any(|key| key.columns.first() == Some(&name))
    };
    for field in schema
        .fields
        .iter()
        .filter(|f| E::columns().iter().any(|c| c.name == f.name))
    {
        let name = field.name;
        if field.orderable {
            indexes.push(index(
                format!("{table}_{name}_id_idx"),
                format!("({name}, id)"),
            ));
        } else if field.ops != campushub_core::schema::Ops::NONE && !led_by_key(name) {
            indexes.push(index(format!("{table}_{name}_idx"), format!("({name})")));
        }
    }
    if dialect == Dialect::Postgres {
        // `search=` and `__icontains` match under the default collation (see
        // `0003_search_collation.sql`): trigram indexes built under it serve them.
        for name in schema.search {
            indexes.push(index(
                format!("{table}_{name}_trgm_idx"),
                format!("USING gin ({name} COLLATE \"default\" gin_trgm_ops)"),
            ));
        }
    }
    indexes
}

/// The outbox's capture of `table`'s changes as changes of kind `kind`.
fn capture_changes(dialect: Dialect, table: &str, kind: &str) -> Vec<String> {
    match dialect {
        Dialect::Postgres => vec![format!(
            "SELECT campushub_capture_changes('{table}', '{kind}')"
        )],
        Dialect::Sqlite => {
            // (trigger suffix, event, condition, row, operation, version): as `0010_outbox.sql`.
            let captures = [
                ("inserts", "INSERT", "", "NEW", "created", "NEW.version"),
                (
                    "updates",
                    "UPDATE",
                    " WHEN NEW.version IS NOT OLD.version",
                    "NEW",
                    "updated",
                    "NEW.version",
                ),
                ("deletes", "DELETE", "", "OLD", "deleted", "OLD.version + 1"),
            ];
            let mut statements: Vec<String> = captures
                .iter()
                .map(|(suffix, event, when, row, op, version)| {
                    format!(
                        "CREATE TRIGGER {table}_outbox_{suffix} AFTER {event} ON {table}{when} BEGIN\n    \
                         INSERT INTO campushub_outbox (kind, record_id, op, version)\n    \
                         VALUES ('{kind}', {row}.id, '{op}', {version});\nEND"
                    )
                })
                .collect();
            statements.push(format!(
                "CREATE TRIGGER {table}_version_moves AFTER UPDATE ON {table} \
                 WHEN NEW.version = OLD.version BEGIN\n    \
                 UPDATE {table} SET version = OLD.version + 1,\n        \
                 updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)\n    \
                 WHERE id = NEW.id;\nEND"
            ));
            statements
        }
    }
}
