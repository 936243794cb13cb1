//! [`SchemaChange`]: a difference between a kind's table and its description that needs a
//! data migration, which the runner names and refuses rather than applies.

use std::fmt;

/// A change to one column of a kind's table that the runner does not make by itself: the
/// rows' data decides how it should be made. Write a [`crate::kinds::KindMigration`] that
/// makes it, or change the description back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaChange {
    /// The table has the column and the description no longer does: dropping it would lose
    /// its data.
    Removed {
        /// The column.
        column: String,
    },
    /// One column is gone and one of the same type is new, as a rename looks: renaming keeps
    /// the data, a drop and an add would not.
    Renamed {
        /// The column the table has.
        from: String,
        /// The column the description wants.
        to: String,
    },
    /// The column's type differs: the stored values need converting.
    TypeChanged {
        /// The column.
        column: String,
        /// The type in the table (as the catalog names it).
        from: String,
        /// The type the description wants.
        to: String,
    },
    /// The column is nullable in the table and required by the description: rows may hold
    /// `NULL`.
    BecomesNotNull {
        /// The column.
        column: String,
    },
    /// The column is `NOT NULL` in the table and nullable in the description.
    BecomesNullable {
        /// The column.
        column: String,
    },
    /// A new required column without a default: the existing rows need a value.
    NewNotNull {
        /// The column.
        column: String,
    },
    /// A column the table has now references another table: SQLite adds no foreign key to
    /// an existing table (rebuild it in a migration). Postgres adds it by itself.
    NewReference {
        /// The column.
        column: String,
        /// The referenced table.
        table: String,
    },
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaChange::Removed { column } => {
                write!(f, "column `{column}` is gone (dropping it loses its data)")
            }
            SchemaChange::Renamed { from, to } => write!(
                f,
                "column `{from}` is gone and `{to}` is new with its type (a rename keeps the data)"
            ),
            SchemaChange::TypeChanged { column, from, to } => {
                write!(f, "column `{column}` changes type from {from} to {to}")
            }
            SchemaChange::BecomesNotNull { column } => {
                write!(f, "column `{column}` becomes NOT NULL (rows may hold NULL)")
            }
            SchemaChange::BecomesNullable { column } => {
                write!(f, "column `{column}` becomes nullable")
            }
            SchemaChange::NewReference { column, table } => write!(
                f,
                "column `{column}` now references `{table}` (SQLite adds no foreign key to a table)"
            ),
            SchemaChange::NewNotNull { column } => write!(
                f,
                "column `{column}` is new and NOT NULL without a default (existing rows need a value)"
            ),
        }
    }
}
