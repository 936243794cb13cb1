//! The repository conformance suite: the semantics of [`crate::repository::Repository`]
//! stated once as tests, generic over the store, run by every storage adapter.

pub mod data;
