//! Imports of more rows than one batch ([`IMPORT_BATCH_ROWS`]) on both backends: the checks
//! see across batches (a repeated key names its first row, a unique value clashes with an
//! earlier batch's), an all-or-nothing import refused or failing in a late batch leaves
//! nothing (no record, audit entry or outbox row, no event), best effort writes the good rows
//! of every batch, and the progress counts reach the rows given.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::conformance::data::student_input;
use campushub_core::repository::{BulkWritten, GroupCounts, WriteSession};
use campushub_core::service::{ImportOptions, ImportOutcome, ImportProgress, IMPORT_BATCH_ROWS};
use campushub_core::{
    AuditEntry, BatchMode, ChangeHook, ConsistencyToken, CustomFieldDef, EntityService, Error,
    ListQuery, Principal, ReadOptions, Repository, Result, Role, Student, Written,
};
use campushub_sqlx::{Backend, SqlRepository};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::support::pgdb::TestDb;
use crate::support::recorder::Recorder;
use crate::support::rows::written;
use crate::support::sqlite_file::SqliteFile;

/// Rows of the files here: two full batches and part of a third.
const ROWS: usize = 2 * IMPORT_BATCH_ROWS + 150;

fn registrar() -> Principal {
    Principal::new("registrar-7", [Role::ADMIN])
}

fn service<B: Backend>(
    repository: Arc<dyn Repository<Student>>,
    backend: &B,
    hook: Arc<Recorder>,
) -> EntityService<Student> {
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(SqlRepository::new(backend.clone()));
    EntityService::builder(repository)
        .custom_fields(definitions)
        .hook(hook as Arc<dyn ChangeHook>)
        .build()
}

/// A fresh prefix of roll numbers: `letter` and 8 random hex digits.
fn prefix(letter: char) -> String {
    let random = Uuid::new_v4().simple().to_string();
    format!("{letter}{}", &random[..8])
}

/// A new student's row, keyed `{prefix}-{n}`.
fn row(prefix: &str, n: usize) -> Map<String, Value> {
    match serde_json::to_value(student_input(&format!("{prefix}-{n:05}"))) {
        Ok(Value::Object(row)) => row,
        other => panic!("a student body: {other:?}"),
    }
}

fn rows(prefix: &str) -> Vec<Map<String, Value>> {
    (0..ROWS).map(|n| row(prefix, n)).collect()
}

/// Rows checked and written, as told.
#[derive(Default)]
struct Counted {
    checked: AtomicUsize,
    written: AtomicUsize,
}

impl ImportProgress for Counted {
    fn checked(&self, rows: usize) {
        self.checked.fetch_add(rows, Ordering::Relaxed);
    }
    fn writing(&self, _rows: usize) {}
    fn written(&self, rows: usize) {
        self.written.fetch_add(rows, Ordering::Relaxed);
    }
}

fn options(dry_run: bool, mode: BatchMode) -> ImportOptions {
    ImportOptions { dry_run, mode }
}

/// The messages of row `index` (by field).
fn messages_of(outcome: &ImportOutcome, index: usize) -> Vec<(String, Vec<String>)> {
    outcome
        .errors
        .iter()
        .filter(|row| row.index == index)
        .flat_map(|row| {
            row.errors
                .iter()
                .map(|(field, messages)| (field.to_owned(), messages.to_vec()))
        })
        .collect()
}

/// A commit writes every batch, each row once, with its audit entry, outbox row and event;
/// the progress counts reach the row total.
async fn every_batch_is_written<B: Backend>(backend: B) {
    let recorder = Arc::new(Recorder::default());
    let plain: Arc<dyn Repository<Student>> = Arc::new(SqlRepository::new(backend.clone()));
    let students = service(plain, &backend, recorder.clone());
    let prefix = prefix('B');
    let before = written(&backend).await;
    let progress = Counted::default();
    let outcome = students
        .import_rows_reporting(
            &registrar(),
            rows(&prefix),
            ImportOptions::default(),
            &progress,
        )
        .await
        .expect("an import");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors.first());
    assert_eq!((outcome.created, outcome.updated), (ROWS, 0));
    assert!(outcome.written && outcome.token.is_some());
    let rows = i64::try_from(ROWS).expect("rows");
    assert_eq!(
        written(&backend).await,
        (before.0 + rows, before.1 + rows, before.2 + rows),
        "(students, audit entries, outbox rows)"
    );
    assert_eq!(
        recorder.take().len(),
        ROWS,
        "one event a row, after the commit"
    );
    assert_eq!(progress.checked.load(Ordering::Relaxed), ROWS);
    assert_eq!(progress.written.load(Ordering::Relaxed), ROWS);

    // The same file again: every row an update, across batches.
    let mut again = self::rows(&prefix);
    for body in &mut again {
        body.insert("semester".into(), json!(2));
    }
    let outcome = students
        .import_rows(&registrar(), again, ImportOptions::default())
        .await
        .expect("a second import");
    assert_eq!((outcome.created, outcome.updated), (0, ROWS), "{outcome:?}");
}

/// A key repeated in a later batch names its first row; an email taken by a row of an
/// earlier batch clashes; all or nothing, the late refusal leaves nothing of the earlier
/// batches, and every problem is reported.
async fn late_refusals_leave_nothing<B: Backend>(backend: B) {
    let recorder = Arc::new(Recorder::default());
    let plain: Arc<dyn Repository<Student>> = Arc::new(SqlRepository::new(backend.clone()));
    let students = service(plain, &backend, recorder.clone());
    let prefix = prefix('L');
    let email = format!("{prefix}@uni.test").to_ascii_lowercase();
    let mut file = rows(&prefix);
    let repeat = IMPORT_BATCH_ROWS + 20;
    file[repeat] = row(&prefix, 3);
    file[5].insert("email".into(), json!(email));
    let clash = 2 * IMPORT_BATCH_ROWS + 7;
    file[clash].insert("email".into(), json!(email));
    let before = written(&backend).await;

    let checked = students
        .import_rows(
            &registrar(),
            file.clone(),
            options(true, BatchMode::AllOrNothing),
        )
        .await
        .expect("a dry run");
    let indexes: Vec<usize> = checked.errors.iter().map(|row| row.index).collect();
    assert_eq!(indexes, [repeat, clash], "{:?}", checked.errors);
    assert_eq!(
        messages_of(&checked, repeat),
        [(
            "roll_number".to_owned(),
            vec!["Duplicate of row 3 in this request.".to_owned()]
        )]
    );
    assert_eq!(
        messages_of(&checked, clash),
        [(
            "email".to_owned(),
            vec!["Duplicate of row 5 in this request.".to_owned()]
        )]
    );
    assert_eq!(checked.created, ROWS - 2);

    let outcome = students
        .import_rows(&registrar(), file.clone(), ImportOptions::default())
        .await
        .expect("an import");
    assert_eq!(outcome.errors, checked.errors, "the same problems");
    assert!(!outcome.written && outcome.token.is_none());
    assert_eq!((outcome.created, outcome.updated), (0, 0));
    assert_eq!(
        written(&backend).await,
        before,
        "nothing of the file stayed"
    );
    assert!(recorder.take().is_empty(), "no event announced");

    // Best effort: every good row of every batch.
    let outcome = students
        .import_rows(&registrar(), file, options(false, BatchMode::EachRow))
        .await
        .expect("a best-effort import");
    assert_eq!(outcome.errors.len(), 2, "{:?}", outcome.errors);
    assert_eq!(outcome.created, ROWS - 2);
    let rows = i64::try_from(ROWS - 2).expect("rows");
    assert_eq!(
        written(&backend).await,
        (before.0 + rows, before.1 + rows, before.2 + rows)
    );
    assert_eq!(recorder.take().len(), ROWS - 2);
}

/// The store fails while writing the third batch (the two before it are in the session's
/// transaction): the import is an error and nothing of it stays.
async fn a_store_failure_in_a_late_batch_leaves_nothing<B: Backend>(backend: B) {
    let recorder = Arc::new(Recorder::default());
    let failing: Arc<dyn Repository<Student>> = Arc::new(FailsLate {
        inner: SqlRepository::new(backend.clone()),
    });
    let students = service(failing, &backend, recorder.clone());
    let prefix = prefix('F');
    let before = written(&backend).await;
    let imported = students
        .import_rows(&registrar(), rows(&prefix), ImportOptions::default())
        .await;
    let Err(failure) = imported.map(|outcome| outcome.errors.len()) else {
        panic!("the store failed, and the import with it");
    };
    assert!(
        matches!(failure, Error::Internal { ref message, .. } if message == LOST),
        "{failure:?}"
    );
    assert_eq!(
        written(&backend).await,
        before,
        "nothing of the file stayed"
    );
    assert!(recorder.take().is_empty(), "no event announced");
}

/// What the failing store's third batch answers.
const LOST: &str = "the connection was lost";

/// Students in `inner`, whose write sessions fail on their third batch.
struct FailsLate<B> {
    inner: SqlRepository<Student, B>,
}

/// A session of `inner` that fails its third write.
struct FailingSession<'a> {
    inner: Box<dyn WriteSession<Student> + 'a>,
    writes: usize,
}

#[async_trait]
impl WriteSession<Student> for FailingSession<'_> {
    async fn write(
        &mut self,
        inserts: &[Student],
        updates: &[(Student, i64)],
        entries: Option<&[AuditEntry]>,
    ) -> Result<BulkWritten> {
        self.writes += 1;
        if self.writes == 3 {
            return Err(Error::Internal {
                message: LOST.to_owned(),
                source: None,
            });
        }
        self.inner.write(inserts, updates, entries).await
    }
    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>> {
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<()> {
        self.inner.rollback().await
    }
}

#[async_trait]
impl<B: Backend> Repository<Student> for FailsLate<B> {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<Student>> {
        self.inner.get(id, read).await
    }
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<Student>> {
        self.inner.get_many(ids, read).await
    }
    async fn find_by_natural_keys(
        &self,
        keys: &[String],
        read: &ReadOptions,
    ) -> Result<Vec<Student>> {
        self.inner.find_by_natural_keys(keys, read).await
    }
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<Student>> {
        self.inner.list(query, read).await
    }
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        self.inner.count(query, read).await
    }
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.inner.group_counts(query, fields, read).await
    }
    async fn insert(&self, entity: &Student) -> Result<Written> {
        self.inner.insert(entity).await
    }
    async fn update(&self, entity: &Student, expected_version: i64) -> Result<Written> {
        self.inner.update(entity, expected_version).await
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.inner.delete(id, expected_version).await
    }
    async fn write_session(&self) -> Result<Option<Box<dyn WriteSession<Student> + '_>>> {
        let inner = self.inner.write_session().await?.expect("a SQL session");
        Ok(Some(Box::new(FailingSession { inner, writes: 0 })))
    }
}

#[tokio::test]
async fn sqlite_every_batch_is_written() {
    let file = SqliteFile::new("import-batches-written");
    every_batch_is_written(file.migrated_store().await).await;
}

#[tokio::test]
async fn pg_every_batch_is_written() {
    let db = TestDb::shared().await;
    every_batch_is_written(db.primary_router().await).await;
}

#[tokio::test]
async fn sqlite_late_refusals_leave_nothing() {
    let file = SqliteFile::new("import-batches-refused");
    late_refusals_leave_nothing(file.migrated_store().await).await;
}

#[tokio::test]
async fn pg_late_refusals_leave_nothing() {
    let db = TestDb::shared().await;
    late_refusals_leave_nothing(db.primary_router().await).await;
}

#[tokio::test]
async fn sqlite_a_store_failure_in_a_late_batch_leaves_nothing() {
    let file = SqliteFile::new("import-batches-failing");
    a_store_failure_in_a_late_batch_leaves_nothing(file.migrated_store().await).await;
}

#[tokio::test]
async fn pg_a_store_failure_in_a_late_batch_leaves_nothing() {
    let db = TestDb::shared().await;
    a_store_failure_in_a_late_batch_leaves_nothing(db.primary_router().await).await;
}
