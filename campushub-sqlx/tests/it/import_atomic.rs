//! An all-or-nothing import is one transaction on both backends: when the database refuses a
//! row in the middle of the commit (after the checks passed and after the new rows' statements
//! ran), nothing of the import stays: no record, no audit entry, no outbox row, no event. The
//! same file in best-effort mode writes the rows the database accepts. All or nothing, the
//! import writes through the store's write session (the rival commits before its batch);
//! best effort, through one batch write per import batch.

use std::sync::Arc;

use async_trait::async_trait;
use campushub_core::conformance::data::student_input;
use campushub_core::repository::{BulkWritten, GroupCounts, WriteSession};
use campushub_core::service::ImportOptions;
use campushub_core::{
    AuditEntry, BatchMode, ChangeHook, ConsistencyToken, CustomFieldDef, EntityService, Error,
    ListQuery, Principal, ReadOptions, Repository, Result, Role, Student, Written,
};
use campushub_sqlx::{Backend, SqlRepository};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::support::fixtures::student;
use crate::support::pgdb::TestDb;
use crate::support::recorder::Recorder;
use crate::support::rows::written;
use crate::support::sqlite_file::SqliteFile;

/// The email another writer takes while the import runs.
const TAKEN: &str = "taken-meanwhile@uni.test";

/// Students stored in `inner`; right before each import batch reaches the store, another
/// writer commits a student holding [`TAKEN`], which the import's checks have not seen (a
/// unique value inserted concurrently).
struct Interloper<B> {
    inner: SqlRepository<Student, B>,
}

impl<B: Backend> Interloper<B> {
    async fn take_the_email(&self) -> Result<()> {
        let rival = student(
            &format!("R{}", Uuid::new_v4().simple()),
            None,
            json!({ "email": TAKEN }),
        );
        match self.inner.insert(&rival).await {
            // An earlier rival holds it still.
            Ok(_) | Err(Error::Conflict { .. }) => Ok(()),
            Err(other) => Err(other),
        }
    }
}

#[async_trait]
impl<B: Backend> Repository<Student> for Interloper<B> {
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
    async fn insert_update_many_audited(
        &self,
        inserts: &[Student],
        updates: &[(Student, i64)],
        entries: &[AuditEntry],
        mode: BatchMode,
    ) -> Result<BulkWritten> {
        self.take_the_email().await?;
        self.inner
            .insert_update_many_audited(inserts, updates, entries, mode)
            .await
    }
    async fn write_session(&self) -> Result<Option<Box<dyn WriteSession<Student> + '_>>> {
        let inner = self.inner.write_session().await?.expect("a SQL session");
        Ok(Some(Box::new(InterloperSession {
            interloper: self,
            inner,
        })))
    }
}

/// A write session of the import during which the rival commits, before each batch.
struct InterloperSession<'a, B> {
    interloper: &'a Interloper<B>,
    inner: Box<dyn WriteSession<Student> + 'a>,
}

#[async_trait]
impl<B: Backend> WriteSession<Student> for InterloperSession<'_, B> {
    async fn write(
        &mut self,
        inserts: &[Student],
        updates: &[(Student, i64)],
        entries: Option<&[AuditEntry]>,
    ) -> Result<BulkWritten> {
        self.interloper.take_the_email().await?;
        self.inner.write(inserts, updates, entries).await
    }
    async fn commit(self: Box<Self>) -> Result<Option<ConsistencyToken>> {
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<()> {
        self.inner.rollback().await
    }
}

fn registrar() -> Principal {
    Principal::new("registrar-9", [Role::ADMIN])
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

fn new_row(roll: &str) -> Map<String, Value> {
    match serde_json::to_value(student_input(roll)) {
        Ok(Value::Object(row)) => row,
        other => panic!("a student body: {other:?}"),
    }
}

/// A file of two new students and one change to an existing one that sets [`TAKEN`]: all or
/// nothing, the change fails in the database after the new rows were written in the same
/// transaction, and the whole import is rolled back; best effort, the new rows stay.
async fn a_failure_mid_commit_leaves_nothing<B: Backend>(backend: B) {
    let plain: Arc<dyn Repository<Student>> = Arc::new(SqlRepository::new(backend.clone()));
    let seeded = Arc::new(Recorder::default());
    let seeding = service(plain, &backend, seeded.clone());
    let existing = student_input("IMP-OLD");
    seeding
        .create(&registrar(), existing)
        .await
        .expect("an existing student");

    let recorder = Arc::new(Recorder::default());
    let interloper: Arc<dyn Repository<Student>> = Arc::new(Interloper {
        inner: SqlRepository::new(backend.clone()),
    });
    let students = service(interloper, &backend, recorder.clone());
    let mut change = Map::new();
    change.insert("roll_number".into(), json!("IMP-OLD"));
    change.insert("email".into(), json!(TAKEN));
    let rows = vec![new_row("IMP-001"), new_row("IMP-002"), change];

    let dry_run = ImportOptions {
        dry_run: true,
        mode: BatchMode::AllOrNothing,
    };
    let checked = students
        .import_rows(&registrar(), rows.clone(), dry_run)
        .await
        .expect("a dry run");
    assert!(checked.errors.is_empty(), "the checks pass: {checked:?}");
    assert_eq!((checked.created, checked.updated), (2, 1));

    let before = written(&backend).await;
    let outcome = students
        .import_rows(&registrar(), rows.clone(), ImportOptions::default())
        .await
        .expect("an import");
    assert!(!outcome.written, "{outcome:?}");
    assert_eq!((outcome.created, outcome.updated), (0, 0));
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    assert_eq!(outcome.errors[0].index, 2, "the change is the refused row");
    assert!(
        outcome.errors[0]
            .errors
            .iter()
            .any(|(field, _)| field == "email"),
        "{outcome:?}"
    );
    assert!(outcome.token.is_none());
    let after = written(&backend).await;
    // The rival student (with its outbox row) is the only new row: it was committed by
    // another writer before the import's transaction began.
    assert_eq!(
        after,
        (before.0 + 1, before.1, before.2 + 1),
        "nothing of the import stayed: (students, audit entries, outbox rows)"
    );
    let stored = students
        .repository()
        .find_by_natural_keys(
            &["IMP-001".into(), "IMP-002".into()],
            &ReadOptions::default(),
        )
        .await
        .expect("read");
    assert!(stored.is_empty(), "no new student: {stored:?}");
    assert!(recorder.take().is_empty(), "no change event announced");

    // Best effort: the change fails again (the rival holds the email still), the new rows
    // are written and audited, and only the change is reported.
    let before = written(&backend).await;
    let mut rows = rows;
    rows[0] = new_row("IMP-003");
    rows[1] = new_row("IMP-004");
    let best_effort = ImportOptions {
        dry_run: false,
        mode: BatchMode::EachRow,
    };
    let outcome = students
        .import_rows(&registrar(), rows, best_effort)
        .await
        .expect("an import");
    assert!(outcome.written);
    assert_eq!((outcome.created, outcome.updated), (2, 0));
    assert_eq!(outcome.errors.len(), 1, "{outcome:?}");
    assert_eq!(outcome.errors[0].index, 2);
    let after = written(&backend).await;
    assert_eq!(after, (before.0 + 2, before.1 + 2, before.2 + 2));
    assert_eq!(recorder.take().len(), 2);
}

#[tokio::test]
async fn sqlite_a_failure_mid_import_leaves_nothing() {
    let file = SqliteFile::new("import-atomic");
    let store = file.migrated_store().await;
    a_failure_mid_commit_leaves_nothing(store).await;
}

#[tokio::test]
async fn pg_a_failure_mid_import_leaves_nothing() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    a_failure_mid_commit_leaves_nothing(router).await;
}
