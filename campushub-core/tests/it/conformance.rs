//! The repository conformance suite against the in-memory store.
#![cfg(feature = "conformance")]

campushub_core::conformance_suite!(campushub_core::conformance::memory_fixture());
