//! Integration tests of campushub-sqlx against SQLite and the real Postgres primary + replica
//! (`scripts/services.sh start`, then `source` its env file).
// A test binary exports nothing: `pub` in its modules means "shared with the other tests".
#![allow(unreachable_pub)]

mod analytics;
mod analytics_routing;
mod audit;
mod audit_cost;
mod audit_log;
mod bulk;
mod bulk_atomic;
mod conformance;
mod counts;
mod course;
mod crud;
mod deferred_pages;
mod derived;
mod group_counts;
mod hierarchy;
mod import_atomic;
mod import_batches;
mod import_jobs;
mod indexes;
mod kind_migrations;
mod observe;
mod outbox;
mod pg_plans;
mod pool_check;
mod queries;
mod replica_floor;
mod routing;
mod support;
mod tls;
mod transaction_hooks;
