//! Fixtures: the deployment artifacts read and the server run as they configure it, the services' URLs, the server's commands run in process, a database per test, a dedicated primary + replica, server
//! instances on loopback ports (in this process or as child processes, a pair behind nginx), an HTTP client, a raw
//! HTTP/1.1 client and the load built on it, `/metrics` reading, and the programs
//! `scripts/test-tools.sh` installs.

pub mod artifacts;
pub mod balanced;
pub mod client;
pub mod commands;
pub mod db;
pub mod dedicated;
pub mod deployed;
pub mod env;
pub mod instance;
pub mod load;
pub mod metrics;
pub mod nginx;
pub mod process;
pub mod prometheus;
pub mod raw;
pub mod records;
pub mod redis;
pub mod tools;
pub mod wait;

pub use client::Http;
pub use db::TestDb;
pub use env::Services;
pub use instance::Instance;
