//! # campushub
//!
//! The facade of CampusHub: fast, correct university ERP back ends in Rust.
//!
//! | module | feature | crate |
//! |---|---|---|
//! | [`core`] | always | `campushub-core`: domain types and traits |
//! | `sqlx` | `sqlx` | `campushub-sqlx`: Postgres and SQLite storage |
//! | `cache` | `cache` | `campushub-cache`: moka + Redis cache |
//! | `http` | `http` | `campushub-http`: the axum REST router |
//! | `server` | `server` | the ready-made server: configuration, wiring, graceful shutdown, commands |
//! | `contacts` | `records` | contacts of students and faculty, a kind built on the public API |
//! | `documents` | `documents` | files attached to students and faculty, their bytes in object storage |
//!
//! `full` turns on the three adapters; `server` turns on `full` and the server module, which
//! `full` leaves out so that an application building its own server compiles none of it.

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
// The library's API lints, here rather than in the facade's `[lints]` table, which the
// examples, tests and benches share (programs, where `pub` shares an item between modules and
// nothing needs `Debug`): the server module is library code.
#![warn(unreachable_pub, missing_debug_implementations)]

pub use campushub_core as core;

/// `#[derive(Entity)]`: a kind's input, `Schema` and `Entity` implementation from its struct
/// (see `docs/extending.md`). The generated code names `campushub::core`.
pub use campushub_derive::Entity;

/// `#[derive(SqlEntity)]`: a kind's table description and row mapping from the same
/// attributes as `Entity`. The generated code names `campushub::sqlx`.
#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub use campushub_derive::SqlEntity;

#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub use campushub_sqlx as sqlx;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub use campushub_cache as cache;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use campushub_http as http;

#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;

#[cfg(feature = "records")]
#[cfg_attr(docsrs, doc(cfg(feature = "records")))]
pub mod contacts;

#[cfg(feature = "documents")]
#[cfg_attr(docsrs, doc(cfg(feature = "documents")))]
pub mod documents;

// The derives name `campushub::core` and `campushub::sqlx`: inside this crate, that is itself.
#[cfg(feature = "records")]
extern crate self as campushub;
