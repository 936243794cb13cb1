//! Imports on a store without write sessions (the memory store): an all-or-nothing import of
//! more rows than one batch holds its checked rows and writes them at the end, so a refusal
//! in a late batch leaves nothing and a clean file is written whole; best effort writes the
//! good rows of every batch; the progress counts reach the rows given; a sheet's import
//! asks for its rows a batch at a time, each checked and written before the next is read.

use std::sync::atomic::{AtomicUsize, Ordering};

use campushub_core::exchange::{import_sheet, Cell, Columns, References, SheetRows};
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

/// A file of `batches` batches of student rows, given one batch at a time, noting how many
/// rows the import had checked and written when each batch was asked for.
struct Paced {
    headers: Vec<String>,
    batches: usize,
    given: usize,
    progress: std::sync::Arc<Counted>,
    asked_at: std::sync::Arc<std::sync::Mutex<Vec<(usize, usize)>>>,
}

#[async_trait::async_trait]
impl SheetRows for Paced {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    async fn next_rows(&mut self) -> campushub_core::Result<Option<Vec<Vec<Cell>>>> {
        let progress = (
            self.progress.checked.load(Ordering::Relaxed),
            self.progress.written.load(Ordering::Relaxed),
        );
        self.asked_at.lock().expect("the notes").push(progress);
        if self.given == self.batches {
            return Ok(None);
        }
        let first = self.given * IMPORT_BATCH_ROWS;
        self.given += 1;
        let rows = (first..first + IMPORT_BATCH_ROWS)
            .map(|n| {
                let Value::Object(body) = student_body(&format!("PA-{n:05}")) else {
                    unreachable!("a student body is an object")
                };
                self.headers
                    .iter()
                    .map(|header| match &body[header] {
                        Value::String(text) => Cell::Text(text.clone()),
                        _ => Cell::Empty,
                    })
                    .collect()
            })
            .collect();
        Ok(Some(rows))
    }
}

/// Wraps the shared counters so that the import and the sheet see the same ones.
struct Shared(std::sync::Arc<Counted>);

impl ImportProgress for Shared {
    fn checked(&self, rows: usize) {
        self.0.checked(rows);
    }
    fn writing(&self, rows: usize) {
        self.0.writing(rows);
    }
    fn written(&self, rows: usize) {
        self.0.written(rows);
    }
}

#[tokio::test]
async fn a_sheet_import_checks_and_writes_each_batch_before_it_asks_for_the_next() {
    let campus = Campus::new();
    let headers = [
        "roll_number",
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "program",
        "admission_date",
    ];
    let progress = std::sync::Arc::new(Counted::default());
    let asked_at = std::sync::Arc::default();
    let sheet = Paced {
        headers: headers.iter().map(|header| (*header).to_owned()).collect(),
        batches: 3,
        given: 0,
        progress: progress.clone(),
        asked_at: std::sync::Arc::clone(&asked_at),
    };
    let columns = Columns::of(<Student as campushub_core::Entity>::schema(), &[], true);
    let best_effort = ImportOptions {
        dry_run: false,
        mode: BatchMode::EachRow,
    };
    let report = import_sheet(
        &campus.students,
        &admin(),
        sheet,
        &columns,
        &References::new(),
        best_effort,
        &Shared(progress),
    )
    .await
    .expect("an import");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        (report.rows, report.created),
        (3 * IMPORT_BATCH_ROWS, 3 * IMPORT_BATCH_ROWS)
    );
    // Holding the file's cells would ask for every batch before checking any.
    let at: Vec<(usize, usize)> = (0..=3)
        .map(|batch| (batch * IMPORT_BATCH_ROWS, batch * IMPORT_BATCH_ROWS))
        .collect();
    assert_eq!(*asked_at.lock().expect("the notes"), at);
    assert_eq!(stored(&campus).await, 3 * IMPORT_BATCH_ROWS as u64);
}
