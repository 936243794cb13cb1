//! SQLite: the embedded store (one database, no replicas) and statement execution.

mod exec;
mod store;

pub use store::SqliteStore;

/// The repository of `E` on SQLite.
pub type SqliteRepository<E> = crate::SqlRepository<E, SqliteStore>;
