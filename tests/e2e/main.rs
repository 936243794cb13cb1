//! End-to-end tests of the example server over real sockets.
//!
//! Each test starts its own server instances in this process (each bound to `127.0.0.1:0`,
//! each with its own database pools, health task and L1 cache, exactly as two processes
//! would have) on its own database, sharing the Postgres primary + streaming replica and the
//! Redis of `scripts/services.sh`. Run `scripts/services.sh start` and
//! `source /tmp/campushub-services/env` first (`scripts/test.sh` does both); without them the
//! tests fail saying so.

#[allow(dead_code, unused_imports)]
#[path = "../../examples/server/main.rs"]
mod server;

mod support;

mod concurrency;
mod configuration;
mod operations;
mod propagation;
mod read_your_writes;
mod statements;
