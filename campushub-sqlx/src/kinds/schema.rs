//! [`KindSchema`], what the migration runner knows of a derived kind, the hand-written
//! [`KindMigration`]s that go with it, and the [`KindOutcome`] of a run.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::backend::Dialect;
use crate::table::{ForeignKey, SqlEntity, UniqueKey, META_COLUMNS};
use crate::value::ColType;

/// A column the description wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WantedColumn {
    pub(crate) name: &'static str,
    pub(crate) ty: ColType,
    pub(crate) nullable: bool,
}

/// A hand-written migration of one kind's table, for a change the runner refuses to make by
/// itself (a removed, renamed or retyped column, a column becoming `NOT NULL`).
///
/// The runner applies a kind's migrations that are not recorded yet in `version` order, in
/// the kind's transaction, before it compares the table with the description; a table it
/// creates from the description records them all as applied without running them. Versions
/// are the kind's own (1, 2, …); a recorded migration's SQL must not change (its SHA-256 is
/// checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindMigration {
    /// The migration's number among the kind's, applied in increasing order.
    pub version: i64,
    /// The statements, separated by `;` (run as one script, on the configured backend's
    /// dialect).
    pub sql: String,
}

impl KindMigration {
    /// Migration `version` running `sql`.
    pub fn new(version: i64, sql: impl Into<String>) -> Self {
        KindMigration {
            version,
            sql: sql.into(),
        }
    }

    /// The SHA-256 of the SQL, hexadecimal, as recorded.
    pub(crate) fn hash(&self) -> String {
        hex_sha256(&self.sql)
    }
}

/// What the migration runner knows of a kind: taken from its [`SqlEntity`] description by
/// [`KindSchema::of`], with its hand-written migrations added by
/// [`KindSchema::with_migrations`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct KindSchema {
    pub(crate) kind: &'static str,
    pub(crate) table: &'static str,
    pub(crate) columns: Vec<WantedColumn>,
    pub(crate) unique_keys: &'static [UniqueKey],
    pub(crate) foreign_keys: &'static [ForeignKey],
    pub(crate) create: fn(Dialect) -> Vec<String>,
    pub(crate) indexes: fn(Dialect) -> Vec<(String, String)>,
    pub(crate) migrations: Vec<KindMigration>,
    /// Whether the kind's records carry custom-field values (`custom_fields` is writable).
    pub(crate) custom_fields: bool,
}

impl KindSchema {
    /// The schema `E` describes: the metadata columns, then its own, each `NOT NULL` unless
    /// its schema field is nullable; its unique and foreign keys; the indexes of its filters,
    /// orderings and searches (see [`crate::ddl::create_table`]).
    pub fn of<E: SqlEntity>() -> Self {
        let schema = E::schema();
        let meta = META_COLUMNS.iter().map(|column| WantedColumn {
            name: column.name,
            ty: column.ty,
            nullable: false,
        });
        let own = E::columns().iter().map(|column| WantedColumn {
            name: column.name,
            ty: column.ty,
            nullable: schema.field(column.name).is_none_or(|f| f.nullable),
        });
        KindSchema {
            kind: E::KIND.as_str(),
            table: E::TABLE,
            columns: meta.chain(own).collect(),
            unique_keys: E::unique_keys(),
            foreign_keys: E::foreign_keys(),
            create: crate::ddl::create_table::<E>,
            indexes: crate::ddl::indexes::<E>,
            migrations: Vec::new(),
            custom_fields: schema.has_custom_fields(),
        }
    }

    /// This schema with `migrations` added to the kind's hand-written ones.
    pub fn with_migrations(mut self, migrations: impl IntoIterator<Item = KindMigration>) -> Self {
        self.migrations.extend(migrations);
        self.migrations.sort_by_key(|m| m.version);
        self
    }

    /// The kind's name (`course`).
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// The kind, when its records carry custom-field values: custom fields may then be
    /// defined for it.
    pub fn custom_field_kind(&self) -> Option<campushub_core::EntityKind> {
        self.custom_fields
            .then(|| campushub_core::EntityKind::new(self.kind))
    }

    /// The kind's table (`courses`).
    pub fn table(&self) -> &str {
        self.table
    }

    /// The kind's hand-written migrations, in version order.
    pub fn migrations(&self) -> &[KindMigration] {
        &self.migrations
    }

    /// The canonical description recorded in `campushub_kind_schemas` for `dialect`: one line
    /// per column (name, type as the catalog names it, nullability), unique key, foreign key
    /// and index, in the description's order.
    pub fn description(&self, dialect: Dialect) -> String {
        let mut text = format!("kind {}\ntable {}\n", self.kind, self.table);
        for column in &self.columns {
            let null = if column.nullable { "null" } else { "not null" };
            let ty = catalog_type(dialect, column.ty);
            let _ = writeln!(text, "column {} {ty} {null}", column.name);
        }
        for key in self.unique_keys {
            let _ = writeln!(
                text,
                "unique {} ({})",
                key.constraint,
                key.columns.join(", ")
            );
        }
        for key in self.foreign_keys {
            let _ = writeln!(text, "foreign key {} -> {}", key.column, key.table);
        }
        for (name, _) in (self.indexes)(dialect) {
            let _ = writeln!(text, "index {name}");
        }
        text
    }

    /// The SHA-256 of [`KindSchema::description`], hexadecimal.
    pub fn hash(&self, dialect: Dialect) -> String {
        hex_sha256(&self.description(dialect))
    }

    /// The refusal of `changes` to this kind's table.
    pub(crate) fn drift(&self, changes: Vec<crate::kinds::SchemaChange>) -> crate::Error {
        crate::Error::SchemaDrift {
            kind: self.kind.to_owned(),
            table: self.table.to_owned(),
            changes,
        }
    }
}

/// What the runner did for one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KindOutcome {
    /// The kind.
    pub kind: String,
    /// Whether its table was created from the description.
    pub created: bool,
    /// The versions of the hand-written migrations run.
    pub migrations: Vec<i64>,
    /// The generated statements run (the table's creation, or the additive changes).
    pub statements: Vec<String>,
}

impl KindOutcome {
    /// Nothing was run: the table already matched the description.
    pub fn is_noop(&self) -> bool {
        self.migrations.is_empty() && self.statements.is_empty()
    }
}

/// The name the live catalog gives a column of type `ty` (`information_schema.columns
/// .data_type` on Postgres, the declared type on SQLite), what the runner compares with.
pub(crate) fn catalog_type(dialect: Dialect, ty: ColType) -> &'static str {
    match (dialect, ty) {
        (Dialect::Postgres, ColType::Text) => "text",
        (Dialect::Postgres, ColType::Int) => "bigint",
        (Dialect::Postgres, ColType::Float) => "double precision",
        (Dialect::Postgres, ColType::Bool) => "boolean",
        (Dialect::Postgres, ColType::Uuid) => "uuid",
        (Dialect::Postgres, ColType::Date) => "date",
        (Dialect::Postgres, ColType::DateTime) => "timestamp with time zone",
        (Dialect::Postgres, ColType::Json) => "jsonb",
        (Dialect::Sqlite, ColType::Text | ColType::Uuid | ColType::Date | ColType::Json) => "TEXT",
        (Dialect::Sqlite, ColType::Int | ColType::Bool | ColType::DateTime) => "INTEGER",
        (Dialect::Sqlite, ColType::Float) => "REAL",
    }
}

fn hex_sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}
