//! Imports on a store without write sessions (the memory store): an all-or-nothing import of
//! more rows than one batch holds its checked rows and writes them at the end, so a refusal
//! in a late batch leaves nothing and a clean file is written whole; best effort writes the
//! good rows of every batch; the progress counts reach the rows given.

use std::sync::atomic::{AtomicUsize, Ordering};

use campushub_core::service::{ImportOptions, ImportProgress, IMPORT_BATCH_ROWS};
use campushub_core::{BatchMode, ListQuery, ReadOptions, Repository, Student};
use serde_json::{json, Map, Value};

use crate::support::service::{admin, student_body, Campus};

const ROWS: usize = 2 * IMPORT_BATCH_ROWS + 40;

fn rows() -> Vec<Map<String, Value>> {
    (0..ROWS)
        .map(|n| match student_body(&format!("IM-{n:05}")) {
            Value::Object(row) => row,
            other => panic!("a student body: {other}"),
        })
        .collect()
}

/// Rows checked, told to start writing, and written.
#[derive(Default)]
struct Counted {
    checked: AtomicUsize,
    writing: AtomicUsize,
    written: AtomicUsize,
}

impl ImportProgress for Counted {
    fn checked(&self, rows: usize) {
        self.checked.fetch_add(rows, Ordering::Relaxed);
    }
    fn writing(&self, rows: usize) {
        self.writing.fetch_add(rows, Ordering::Relaxed);
    }
    fn written(&self, rows: usize) {
        self.written.fetch_add(rows, Ordering::Relaxed);
    }
}

async fn stored(campus: &Campus) -> u64 {
    let query = ListQuery::new(<Student as campushub_core::Entity>::schema());
    campus
        .students
        .repository()
        .count(&query, &ReadOptions::default())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_late_refusal_leaves_nothing_and_a_clean_file_is_written_whole() {
    let campus = Campus::new();
    let mut file = rows();
    let late = 2 * IMPORT_BATCH_ROWS + 3;
    file[late].insert("year_of_study".into(), json!(-4));
    let outcome = campus
        .students
        .import_rows(&admin(), file.clone(), ImportOptions::default())
        .await
        .expect("an import");
    assert_eq!(
        outcome
            .errors
            .iter()
            .map(|row| row.index)
            .collect::<Vec<_>>(),
        [late]
    );
    assert!(!outcome.written);
    assert_eq!((outcome.created, outcome.updated), (0, 0));
    assert_eq!(stored(&campus).await, 0, "nothing of the file stayed");
    assert!(campus.events.events().is_empty());

    let best_effort = ImportOptions {
        dry_run: false,
        mode: BatchMode::EachRow,
    };
    let outcome = campus
        .students
        .import_rows(&admin(), file, best_effort)
        .await
        .expect("a best-effort import");
    assert_eq!(outcome.created, ROWS - 1);
    assert_eq!(stored(&campus).await, (ROWS - 1) as u64);

    let fresh = Campus::new();
    let progress = Counted::default();
    let outcome = fresh
        .students
        .import_rows_reporting(&admin(), rows(), ImportOptions::default(), &progress)
        .await
        .expect("a clean import");
    assert!(outcome.errors.is_empty() && outcome.written);
    assert_eq!(outcome.created, ROWS);
    assert_eq!(stored(&fresh).await, ROWS as u64);
    assert_eq!(fresh.events.events().len(), ROWS);
    assert_eq!(progress.checked.load(Ordering::Relaxed), ROWS);
    // Without a session the rows are written in one go at the end.
    assert_eq!(progress.writing.load(Ordering::Relaxed), ROWS);
    assert_eq!(progress.written.load(Ordering::Relaxed), ROWS);
}
