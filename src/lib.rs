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

pub use campushub_core as core;

#[cfg(feature = "sqlx")]
pub use campushub_sqlx as sqlx;

#[cfg(feature = "cache")]
pub use campushub_cache as cache;

#[cfg(feature = "http")]
pub use campushub_http as http;
