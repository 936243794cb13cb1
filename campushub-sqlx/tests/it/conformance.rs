//! Core's repository conformance suite, on SQLite and on Postgres.

mod sqlite {
    campushub_core::conformance_suite!(crate::support::fixtures::sqlite_fixture());
}

mod pg {
    campushub_core::conformance_suite!(crate::support::fixtures::pg_fixture());
}
