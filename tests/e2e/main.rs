//! End-to-end tests of the server (`campushub::server`) over real sockets.
//!
//! The two-instance tests (propagation, concurrent writes) run two server processes: the test
//! binary starts itself again to run `support::process::child_server` (ignored in normal runs,
//! it is the child's entry point, not a test). The others run instances in this process, each
//! bound to a loopback port with its own pools, health task and L1 cache. Every test uses its
//! own database on the shared Postgres primary + streaming replica and Redis of
//! `scripts/services.sh`. Run `scripts/services.sh start` and
//! `source /tmp/campushub-services/env` first (`scripts/test.sh` does both); without them the
//! tests fail saying so.

mod support;

mod analytics;
mod api_reference;
mod backend_tls;
mod backup;
mod checker;
mod clients;
mod command_line;
mod concurrency;
mod conditional;
mod configuration;
mod contacts;
mod contention;
mod contract;
mod deployment;
mod deployment_artifacts;
mod documents;
mod examples;
mod exchange;
mod extension;
mod import_jobs;
mod kind_migrations;
mod limits;
mod load_balancer;
mod metrics;
mod monitoring;
mod observability;
mod operations;
mod outbox;
mod propagation;
mod rate_limits;
mod read_your_writes;
mod representation;
mod scopes;
mod seeding;
mod shutdown;
mod sign_in;
mod single_sign_on;
mod statements;
