//! Counting a table's rows through any backend's primary, for tests that check what a write
//! left behind (records, audit entries, outbox rows).

use campushub_core::{ReadOptions, ReadRoute};
use campushub_sqlx::{Backend, ColType, SqlValue, Statement};

/// The rows `table` holds now, read on the primary.
pub async fn row_count<B: Backend>(backend: &B, table: &str) -> i64 {
    let statement = Statement {
        sql: format!("SELECT count(*) FROM {table}").into(),
        args: Vec::new(),
        returns: vec![ColType::Int],
    };
    let rows = backend
        .fetch(statement, &ReadOptions::default().on(ReadRoute::Primary))
        .await
        .expect("count");
    match rows.first().and_then(|row| row.first()) {
        Some(SqlValue::Int(Some(n))) => *n,
        other => panic!("not a count: {other:?}"),
    }
}

/// `(students, audit entries, outbox rows)` stored now.
pub async fn written<B: Backend>(backend: &B) -> (i64, i64, i64) {
    (
        row_count(backend, "students").await,
        row_count(backend, "campushub_audit_log").await,
        row_count(backend, "campushub_outbox").await,
    )
}
