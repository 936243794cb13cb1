//! Transaction hooks on both backends: a hook runs inside every write transaction that
//! changed rows, sees those changes with the audit entry's actor and request id, can write
//! rows of its own that commit with the change, and vetoes with an error that rolls back the
//! write, its audit entries, its outbox rows and the hook's own rows, and reaches the caller
//! unchanged. A write that changed nothing (a stale version) calls no hook.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use campushub_core::conformance::data::student_input;
use campushub_core::{
    BatchMode, ChangeEvent, ChangeOp, CustomFieldDef, EntityService, Error, Principal, ReadOptions,
    ReadRoute, Repository, RequestOrigin, Role, Student,
};
use campushub_sqlx::{
    Backend, Dialect, HookTx, SqlRepository, SqlValue, Statement, TransactionHook,
};
use campushub_testkit::SeededRng;
use uuid::Uuid;

use crate::support::pgdb::TestDb;
use crate::support::rows::{row_count, written};
use crate::support::sqlite_file::SqliteFile;

/// Notes every change it sees in the hook's own table, then refuses the transaction when
/// one of its changes is a record whose id the test marked.
struct Notary {
    table: String,
    seen: Mutex<Vec<ChangeEvent>>,
    refuse: Mutex<Option<Uuid>>,
}

impl Notary {
    fn new(table: &str) -> Arc<Self> {
        Arc::new(Notary {
            table: table.to_owned(),
            seen: Mutex::new(Vec::new()),
            refuse: Mutex::new(None),
        })
    }

    fn refuse(&self, id: Option<Uuid>) {
        *self.refuse.lock().expect("notary") = id;
    }

    fn take(&self) -> Vec<ChangeEvent> {
        std::mem::take(&mut *self.seen.lock().expect("notary"))
    }
}

#[async_trait]
impl TransactionHook for Notary {
    async fn before_commit(
        &self,
        tx: &mut HookTx<'_>,
        changes: &[ChangeEvent],
    ) -> campushub_core::Result<()> {
        self.seen
            .lock()
            .expect("notary")
            .extend(changes.iter().cloned());
        for change in changes {
            let sql = match tx.dialect() {
                Dialect::Postgres => format!("INSERT INTO {} VALUES ($1, $2)", self.table),
                Dialect::Sqlite => format!("INSERT INTO {} VALUES (?, ?)", self.table),
            };
            let op = format!("{:?}", change.op);
            tx.run(Statement {
                sql: sql.into(),
                args: vec![
                    SqlValue::Text(Some(change.id.to_string())),
                    SqlValue::Text(Some(op)),
                ],
                returns: Vec::new(),
            })
            .await?;
        }
        let refused = *self.refuse.lock().expect("notary");
        match changes.iter().find(|c| Some(c.id) == refused) {
            Some(change) => Err(Error::conflict(
                "id",
                format!("the notary refuses {} {}", change.kind, change.id),
            )),
            None => Ok(()),
        }
    }
}

fn registrar(request_id: &str) -> Principal {
    Principal::new("registrar-9", [Role::ADMIN]).with_origin(RequestOrigin {
        request_id: Some(request_id.to_owned()),
        client_address: None,
    })
}

fn body(roll: &str) -> serde_json::Value {
    serde_json::to_value(student_input(roll)).expect("a body")
}

/// What the database holds of the hook's notes, the audit log and the outbox.
async fn totals<B: Backend>(backend: &B, notes: &str) -> (i64, i64, i64) {
    let (_, audit, outbox) = written(backend).await;
    (row_count(backend, notes).await, audit, outbox)
}

/// `(op, version, actor, request id)` of each change.
fn summary(changes: &[ChangeEvent]) -> Vec<(ChangeOp, i64, Option<String>, Option<String>)> {
    changes
        .iter()
        .map(|c| (c.op, c.version, c.actor.clone(), c.request_id.clone()))
        .collect()
}

/// Every write path of the service with a notary on the students' repository: single
/// writes, a stale write, bulk writes in both modes, and a veto of each.
async fn hooks_see_commit_and_veto<B: Backend>(backend: B, notes: &str) {
    let notary = Notary::new(notes);
    let repository = SqlRepository::<Student, B>::new(backend.clone())
        .with_transaction_hook(Arc::clone(&notary) as Arc<dyn TransactionHook>);
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(SqlRepository::new(backend.clone()));
    let service = EntityService::builder(Arc::new(repository) as Arc<dyn Repository<Student>>)
        .custom_fields(definitions)
        .build();
    let start = totals(&backend, notes).await;
    let grown = |by: i64| (start.0 + by, start.1 + by, start.2 + by);
    let who = |r: &str| (Some("registrar-9".to_owned()), Some(r.to_owned()));

    // A create and an update are seen in their transactions and commit with the notes.
    let mut rng = SeededRng::new(SeededRng::seed_from_env("TRANSACTION_HOOKS_SEED", 0x7b));
    let roll = format!("TH{}", rng.below(1_000_000));
    let created = service
        .create_json(&registrar("t-1"), body(&roll))
        .await
        .expect("create");
    let id = created.record.meta.id;
    let patch = serde_json::json!({"first_name": "Grace"});
    let patch = patch.as_object().cloned().unwrap_or_default();
    service
        .partial_update(&registrar("t-2"), id, patch.clone(), Some(1))
        .await
        .expect("patch");
    let seen = notary.take();
    assert_eq!(
        summary(&seen),
        vec![
            (ChangeOp::Created, 1, who("t-1").0, who("t-1").1),
            (ChangeOp::Updated, 2, who("t-2").0, who("t-2").1),
        ]
    );
    assert!(seen.iter().all(|c| c.id == id && c.token.is_none()));
    assert_eq!(totals(&backend, notes).await, grown(2));

    // A stale write changes nothing and calls no hook.
    let stale = service
        .partial_update(&registrar("t-3"), id, patch.clone(), Some(1))
        .await;
    assert!(
        matches!(stale, Err(Error::PreconditionFailed { .. })),
        "{stale:?}"
    );
    assert!(notary.take().is_empty(), "no change, no hook");

    // A vetoed update: the caller gets the hook's error; the record, the audit log, the
    // outbox and the hook's notes are as before.
    notary.refuse(Some(id));
    let vetoed = service
        .partial_update(&registrar("t-4"), id, patch.clone(), Some(2))
        .await;
    assert!(
        matches!(&vetoed, Err(Error::Conflict { message, .. }) if message.contains("notary")),
        "{vetoed:?}"
    );
    let vetoed_delete = service.destroy(&registrar("t-5"), id, Some(2)).await;
    assert!(
        matches!(vetoed_delete, Err(Error::Conflict { .. })),
        "{vetoed_delete:?}"
    );
    assert_eq!(notary.take().len(), 2, "each veto saw its change");
    let stored = SqlRepository::<Student, B>::new(backend.clone())
        .get(id, &ReadOptions::default().on(ReadRoute::Primary))
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(
        stored.meta.version, 2,
        "the vetoed writes left the record alone"
    );
    assert_eq!(totals(&backend, notes).await, grown(2));

    // A bulk create, best effort, with a row refused by the database: the hook sees the
    // committed rows only, each with its actor and request id.
    notary.refuse(None);
    let rolls: Vec<String> = (0..3).map(|i| format!("{roll}B{i}")).collect();
    let mut rows: Vec<serde_json::Value> = rolls.iter().map(|r| body(r)).collect();
    rows.push(body(&roll)); // taken by the first create
    let report = service
        .bulk_create(&registrar("t-6"), rows, BatchMode::EachRow)
        .await
        .expect("bulk");
    assert_eq!(
        (report.succeeded, report.errors.len()),
        (3, 1),
        "{report:?}"
    );
    let seen = notary.take();
    assert_eq!(
        summary(&seen),
        vec![(ChangeOp::Created, 1, who("t-6").0, who("t-6").1); 3]
    );
    assert_eq!(totals(&backend, notes).await, grown(5));

    // A vetoed bulk delete, all or nothing: nothing of it stays.
    let victim = seen.first().map(|c| c.id).expect("a created row");
    notary.refuse(Some(victim));
    let vetoed_bulk = service
        .bulk_delete(&registrar("t-7"), rolls.clone(), BatchMode::AllOrNothing)
        .await;
    assert!(
        matches!(vetoed_bulk, Err(Error::Conflict { .. })),
        "{vetoed_bulk:?}"
    );
    assert_eq!(notary.take().len(), 3, "the veto saw the whole batch");
    assert_eq!(totals(&backend, notes).await, grown(5));

    // Without the veto the same delete commits, deletions named by version + 1.
    notary.refuse(None);
    let report = service
        .bulk_delete(&registrar("t-8"), rolls, BatchMode::AllOrNothing)
        .await
        .expect("bulk delete");
    assert_eq!(report.succeeded, 3, "{report:?}");
    assert_eq!(
        summary(&notary.take()),
        vec![(ChangeOp::Deleted, 2, who("t-8").0, who("t-8").1); 3]
    );
    assert_eq!(totals(&backend, notes).await, grown(8));
}

#[tokio::test]
async fn sqlite_transaction_hooks_see_commit_and_veto() {
    let file = SqliteFile::new("transaction_hooks");
    let store = file.migrated_store().await;
    sqlx::query("CREATE TABLE hook_notes (record_id TEXT NOT NULL, op TEXT NOT NULL)")
        .execute(store.pool())
        .await
        .expect("notes table");
    hooks_see_commit_and_veto(store, "hook_notes").await;
}

#[tokio::test]
async fn pg_transaction_hooks_see_commit_and_veto() {
    let db = TestDb::shared().await;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.primary)
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE hook_notes (record_id TEXT NOT NULL, op TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .expect("notes table");
    hooks_see_commit_and_veto(db.primary_router().await, "hook_notes").await;
}
