//! The comparison of a kind's live table with its description: the additive statements that
//! bring the table up to it, or the changes that need a data migration.

use crate::backend::Dialect;
use crate::kinds::schema::{catalog_type, KindSchema, WantedColumn};
use crate::kinds::SchemaChange;

/// A recorded hand-written migration: its version and the SHA-256 of its SQL.
pub(crate) type Recorded = (i64, String);

/// A column as the live catalog has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveColumn {
    pub(crate) name: String,
    /// The type as the catalog names it (`information_schema` on Postgres, the declared
    /// type on SQLite).
    pub(crate) ty: String,
    pub(crate) not_null: bool,
}

/// A table as the live catalog has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiveTable {
    pub(crate) columns: Vec<LiveColumn>,
    /// The names of its indexes.
    pub(crate) indexes: Vec<String>,
    /// The columns of each unique index or constraint (primary key excepted), joined by `,`
    /// in the index's order.
    pub(crate) unique: Vec<String>,
    /// The columns that reference another table.
    pub(crate) references: Vec<String>,
}

/// The statements that bring `live` up to `schema` on `dialect` (new nullable columns, with
/// their foreign keys; new unique keys; new indexes), or every change that needs a data
/// migration when there is one. Nothing the table has beyond the description is dropped.
pub(crate) fn evolve(
    schema: &KindSchema,
    dialect: Dialect,
    live: &LiveTable,
) -> Result<Vec<String>, Vec<SchemaChange>> {
    let table = schema.table;
    let live_column = |name: &str| live.columns.iter().find(|c| c.name == name);
    let mut changes = Vec::new();
    let mut new: Vec<&WantedColumn> = Vec::new();
    for wanted in &schema.columns {
        let Some(column) = live_column(wanted.name) else {
            new.push(wanted);
            continue;
        };
        let ty = catalog_type(dialect, wanted.ty);
        if !column.ty.eq_ignore_ascii_case(ty) {
            changes.push(SchemaChange::TypeChanged {
                column: wanted.name.to_owned(),
                from: column.ty.clone(),
                to: ty.to_owned(),
            });
        } else if wanted.name == "id" {
            // The primary key: SQLite reports a text key as nullable; it is never NULL.
        } else if column.not_null && wanted.nullable {
            changes.push(SchemaChange::BecomesNullable {
                column: wanted.name.to_owned(),
            });
        } else if !column.not_null && !wanted.nullable {
            changes.push(SchemaChange::BecomesNotNull {
                column: wanted.name.to_owned(),
            });
        }
    }
    let gone: Vec<&crate::kinds::plan::LiveColumn> = live
        .columns
        .iter()
        .filter(|c| !schema.columns.iter().any(|w| w.name == c.name))
        .collect();
    if let ([from], [to]) = (gone.as_slice(), new.as_slice()) {
        if from.ty.eq_ignore_ascii_case(catalog_type(dialect, to.ty)) {
            changes.push(SchemaChange::Renamed {
                from: from.name.clone(),
                to: to.name.to_owned(),
            });
            return Err(changes);
        }
    }
    changes.extend(gone.iter().map(|c| SchemaChange::Removed {
        column: c.name.clone(),
    }));
    let mut statements = Vec::new();
    for column in new {
        if !column.nullable {
            changes.push(SchemaChange::NewNotNull {
                column: column.name.to_owned(),
            });
            continue;
        }
        let definition = crate::ddl::column_definition(dialect, column.name, column.ty, true);
        let reference = schema
            .foreign_keys
            .iter()
            .find(|key| key.column == column.name)
            .map(|key| {
                format!(
                    " CONSTRAINT {table}_{}_fkey REFERENCES {} (id)",
                    key.column, key.table
                )
            })
            .unwrap_or_default();
        statements.push(format!(
            "ALTER TABLE {table} ADD COLUMN {definition}{reference}"
        ));
    }
    // A reference newly declared on a column the table has: Postgres adds the constraint
    // (checking the rows); SQLite cannot add one to an existing table.
    let new_references = schema.foreign_keys.iter().filter(|key| {
        live_column(key.column).is_some() && !live.references.iter().any(|c| c == key.column)
    });
    for key in new_references {
        match dialect {
            Dialect::Postgres => statements.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey \
                 FOREIGN KEY ({column}) REFERENCES {target} (id)",
                column = key.column,
                target = key.table,
            )),
            Dialect::Sqlite => changes.push(SchemaChange::NewReference {
                column: key.column.to_owned(),
                table: key.table.to_owned(),
            }),
        }
    }
    if !changes.is_empty() {
        return Err(changes);
    }
    for key in schema.unique_keys {
        let columns = key.columns.join(",");
        if live.unique.contains(&columns) {
            continue;
        }
        let (constraint, columns) = (key.constraint, key.columns.join(", "));
        statements.push(match dialect {
            Dialect::Postgres => {
                format!("ALTER TABLE {table} ADD CONSTRAINT {constraint} UNIQUE ({columns})")
            }
            // SQLite adds no constraint to a table; a unique index enforces the same and is
            // reported the same way ("UNIQUE constraint failed: table.column").
            Dialect::Sqlite => format!("CREATE UNIQUE INDEX {constraint} ON {table} ({columns})"),
        });
    }
    for (name, statement) in (schema.indexes)(dialect) {
        if !live.indexes.contains(&name) {
            statements.push(statement);
        }
    }
    Ok(statements)
}

/// The kind's hand-written migrations not `recorded` yet, in version order. A version given
/// twice, or a recorded one whose SQL changed since, is a configuration error.
pub(crate) fn pending<'a>(
    schema: &'a KindSchema,
    recorded: &[Recorded],
) -> crate::Result<Vec<&'a crate::kinds::KindMigration>> {
    let kind = schema.kind;
    if let Some(twice) = schema
        .migrations
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(crate::Error::Config(format!(
            "kind `{kind}` has two migrations numbered {}",
            twice[0].version
        )));
    }
    let mut pending = Vec::new();
    for migration in &schema.migrations {
        match recorded
            .iter()
            .find(|(version, _)| *version == migration.version)
        {
            None => pending.push(migration),
            Some((_, hash)) if *hash == migration.hash() => {}
            Some(_) => {
                return Err(crate::Error::Config(format!(
                    "kind `{kind}`: migration {} was applied with other SQL than it has now; \
                     add a new migration instead of editing an applied one",
                    migration.version
                )))
            }
        }
    }
    Ok(pending)
}
