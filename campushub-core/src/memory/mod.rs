//! A thread-safe in-memory store implementing every repository trait with the semantics of
//! the SQL stores; for tests, examples and benchmarks.
