//! # campushub-sqlx
//!
//! Postgres and SQLite repositories for CampusHub: migrations, read-replica routing with
//! read-your-writes, and an analytics pool. (Being built: see the project issues.)
