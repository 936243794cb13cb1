//! The schemas of an application's own kinds (derived with `#[derive(SqlEntity)]`), created
//! and evolved by the migration runner after the built-in migrations.
//!
//! A [`KindSchema`] is what the runner knows of a kind: its table, its columns with their
//! types and nullability, its keys and indexes, and the hand-written [`KindMigration`]s the
//! application supplies for changes that need a data migration. The runner
//! ([`crate::migrate::migrate_kinds_sqlite`], [`crate::migrate::migrate_kinds_postgres`])
//! reads the live catalog and, per kind in one transaction:
//!
//! - creates the table from the description when it is missing (recording the kind's
//!   migrations as already applied: the new table has what they would do);
//! - else runs the kind's pending migrations in version order, then compares the table with
//!   the description: additive changes (a new nullable column, a new index, a new unique key
//!   the data allows) are applied; changes that need a data migration ([`SchemaChange`]) are
//!   refused with [`crate::Error::SchemaDrift`] and nothing of the kind's step is kept;
//! - records what it applied in `campushub_kind_schemas` (the canonical description and its
//!   SHA-256) and `campushub_kind_migrations`.

// Without a backend there is nothing to run the schemas on: only the types remain.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports)
)]

mod catalog;
mod plan;
mod print;
mod run;
mod schema;

pub use crate::schema_change::SchemaChange;
pub use schema::{KindMigration, KindOutcome, KindSchema};

#[cfg(feature = "postgres")]
pub(crate) use print::print_postgres;
#[cfg(feature = "sqlite")]
pub(crate) use print::print_sqlite;
#[cfg(feature = "postgres")]
pub(crate) use run::run_postgres;
#[cfg(feature = "sqlite")]
pub(crate) use run::run_sqlite;
