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

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use campushub_core as core;

#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub use campushub_sqlx as sqlx;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub use campushub_cache as cache;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use campushub_http as http;
