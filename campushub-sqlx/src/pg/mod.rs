//! Postgres: the primary/replica/analytics router, statement execution and health checks.

mod config;
mod floor;
mod fold;
mod health;
mod pools;
mod positions;
mod redact;
mod router;
mod tls;
mod write;

pub use config::PgRouterConfig;
pub use router::{PgRouter, MIGRATION_REPLAY_WAIT};

/// The repository of `E` on Postgres.
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub type PgRepository<E> = crate::SqlRepository<E, PgRouter>;
