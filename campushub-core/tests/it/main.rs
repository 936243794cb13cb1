//! Integration tests of `campushub-core`, built as one binary (run with `--all-features`).
// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod conformance;
mod memory;
mod query_cursor;
mod query_eval;
mod query_page;
mod query_parse;
