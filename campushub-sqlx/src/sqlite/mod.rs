//! SQLite: the embedded store (one database, no replicas) and statement execution.

mod store;

pub use store::SqliteStore;

/// The repository of `E` on SQLite.
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub type SqliteRepository<E> = crate::SqlRepository<E, SqliteStore>;
