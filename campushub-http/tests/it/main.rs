//! Router tests: every route and status path, through the router itself (`oneshot`), over
//! services on the in-memory store.
// A test binary exports nothing: `pub` in its modules means "shared with the other tests".
#![allow(unreachable_pub)]

mod added_kind;
mod added_routes;
mod audit;
mod audit_log;
mod auth;
mod bulk;
mod client_names;
mod conditional;
mod cors;
mod crud;
mod errors;
#[cfg(feature = "exchange")]
mod export_failure;
mod lists;
#[cfg(feature = "oidc")]
mod oidc;
mod openapi;
mod ops;
mod passwords;
mod representation;
mod roles;
mod sign_in;
mod stats;
mod support;
