//! Integration tests of `campushub-core`, built as one binary (run with `--all-features`).
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]
// A test binary exports nothing: `pub` in its modules means "shared with the other tests".
#![allow(unreachable_pub)]

mod conformance;
mod custom_field_values;
mod derived;
mod memory;
mod query_cursor;
mod query_eval;
mod query_page;
mod query_parse;
mod rate_limit;
mod service_audit;
mod service_bulk;
mod service_crud;
mod service_custom_fields;
mod service_events;
mod service_hierarchy;
mod service_import;
mod service_list;
mod service_preconditions;
mod service_roles;
mod service_scopes;
mod service_server_fields;
mod service_statements;
mod service_walk;
mod service_written;
mod sign_in;
mod support;
