//! # campushub-sqlx
//!
//! Postgres and SQLite storage for [`campushub_core`]: one generic [`SqlRepository`] that
//! implements [`campushub_core::Repository`] for every entity that describes its table once
//! ([`SqlEntity`]), embedded migrations, a Postgres router over a primary, read replicas and
//! an analytics database with read-your-writes, statement counting and analytics.
//!
//! ## Why
//!
//! - **One description, two backends.** Statements are generated from an entity's
//!   [`SqlEntity`] description (columns, binding, row mapping, unique and foreign keys) in
//!   either dialect; values are always bound, column names come only from descriptions.
//!   Queries are runtime-checked: building never needs a database.
//! - **N+1-free.** A kind's relations may embed a summary of the referenced record (students
//!   and faculty embed their department's): a retrieve is one statement (a join), a list page
//!   one plus one per embedding relation (the page, then its references) whatever the page
//!   size. [`StatementCounter::scope`] lets tests assert it.
//! - **Read-your-writes over replicas.** Every write returns the commit's WAL position as a
//!   [`campushub_core::ConsistencyToken`]; a read carrying it goes to a replica that has
//!   replayed that far, else to the primary. A health task ejects replicas that are down or
//!   lag beyond a bound and readmits them; a read failing on a replica is retried once on the
//!   primary. Aggregates go to the analytics database, routed by position in the same way
//!   when it is a standby of the primary (see [`PgRouterConfig::analytics`]).
//! - **Bulk paths** insert, update and delete in one transaction per batch with multi-row
//!   statements, reporting per-row errors found by set-wise pre-checks.
//!
//! ## Semantics worth knowing
//!
//! - Filters, search, ordering and keyset positions mean what core's reference semantics
//!   (`ListQuery::matches` / `compare`) say; the conformance suite runs on both backends.
//!   Text orders and compares in byte order (`COLLATE "C"` columns on Postgres, `BINARY` on
//!   SQLite). `__icontains` and `search=` fold case beyond ASCII, as the reference does:
//!   `COLLATE "default" ILIKE` on Postgres (the database's ctype, UTF-8 in any sensible
//!   deployment; the trigram indexes are built under that collation) and `REGEXP '(?i)…'` on
//!   SQLite (sqlx's `regexp` function over the `regex` crate; SQLite's `LIKE` folds ASCII only).
//! - Tokens: on Postgres, `pg_current_wal_insert_lsn()` read on the writing connection right
//!   after commit (the insert position, not the write position, so that a replica that has
//!   replayed up to the token has replayed the commit even with `synchronous_commit = off`).
//!   On SQLite, a process-local commit counter: one copy of the data satisfies every token.
//! - A token-less read may be served by a replica that lags by up to the configured bound.
//! - A write that gives a row of a tree ([`SqlEntity::hierarchy`], the department
//!   hierarchy) a parent checks the chain of parents inside its own transaction, under a
//!   per-table lock ([`Backend::write_guarded`]): concurrent moves cannot close a cycle.
//! - Work the repositories do not cover (`SELECT … FOR UPDATE`, several statements in one
//!   transaction) goes through [`PgRouter::begin`], always on the primary;
//!   [`PgRouter::write_token`] after the commit gives the token for read-your-writes. Such
//!   writes bypass the services, so they emit no change event: call
//!   [`campushub_core::Cache::invalidate`] for the records they touched.
//! - Custom-field values live in one JSON column `custom_fields` (`jsonb` on Postgres) and
//!   are filtered with JSON operators (`->>`, `@>`, `json_extract`, `json_each`).
//! - SQLite stores UUIDs as hyphenated text, dates as `YYYY-MM-DD` and instants as epoch
//!   microseconds, so that their text and numeric orders are their natural orders.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `postgres` | yes | [`PgRouter`], [`PgRepository`], the Postgres migrations |
//! | `sqlite` | yes | [`SqliteStore`], [`SqliteRepository`], the SQLite migrations (bundled libsqlite3) |
//!
//! ## Example
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! use campushub_core::entities::DepartmentCategory;
//! use campushub_core::{Department, DepartmentInput, Entity, ReadOptions, RecordMeta, Repository};
//! use campushub_sqlx::{SqliteRepository, SqliteStore, StatementCounter};
//!
//! let store = SqliteStore::memory().await?; // connects and migrates
//! let departments: SqliteRepository<Department> = SqliteRepository::new(store);
//! let input: DepartmentInput = serde_json::from_value(serde_json::json!({
//!     "code": "CSE", "name": "Computer Science"
//! }))?;
//! let cse = Department::from_input(input, RecordMeta::new(), "admin");
//! let written = departments.insert(&cse).await?;
//!
//! let read = ReadOptions::after(written.token);
//! let (found, counts) = StatementCounter::scope(departments.get(cse.meta.id, &read)).await;
//! assert_eq!(found?.map(|d| d.kind), Some(DepartmentCategory::Academic));
//! assert_eq!(counts.total(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod accounts;
mod analytics;
mod audit;
mod backend;
mod counter;
pub mod ddl;
mod entities;
mod error;
mod exec;
mod import_jobs;
mod kept_counts;
pub mod kinds;
pub mod migrate;
mod observe;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod outbox;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod pool_check;
mod repo;
mod row;
mod schema_change;
mod sql;
mod table;
mod transaction_hook;
mod value;

#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use accounts::SqlAccounts;
pub use analytics::SqlAnalytics;
pub use audit::SqlAuditLog;
pub use backend::{Backend, Dialect, Guarded, Statement, StatementResult, WriteGuard};
pub use counter::{
    PoolStats, StatementCounter, StatementCounts, StatementTiming, DEFAULT_SLOW_STATEMENT,
};
pub use error::{Error, Result};
pub use import_jobs::SqlImportJobs;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use outbox::{OutboxRelay, RelayHandle, RelaySnapshot, RelayStats, Round};
pub use repo::{GroupCountMismatch, SqlRepository};
pub use row::SqlRow;
pub use sql::DeferredJoin;
pub use table::{Column, ForeignKey, Hierarchy, SqlEntity, UniqueKey, AUDIT_COLUMNS, META_COLUMNS};
pub use transaction_hook::{HookTx, TransactionHook};
pub use value::{ColType, SqlValue};

#[cfg(feature = "postgres")]
pub use pg::{PgRepository, PgRouter, PgRouterConfig, MIGRATION_REPLAY_WAIT};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteRepository, SqliteStore};
