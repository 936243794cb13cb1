//! The migration runner on a derived kind's table, on SQLite and on Postgres: created once
//! and recorded, re-run as a no-op, a new nullable field added with its index and the rows
//! kept, a removed, retyped, renamed or newly required column refused by name with nothing
//! applied, a hand-written migration resolving a refusal, and `print` showing the SQL
//! without running it.

use campushub_core::{Entity, ReadOptions, RecordMeta, Repository};
use campushub_derive::{Entity, SqlEntity};
use campushub_sqlx::kinds::{KindMigration, KindOutcome, KindSchema, SchemaChange};
use campushub_sqlx::{migrate, Backend, SqlEntity, SqlRepository};
use serde::{Deserialize, Serialize};

use crate::support::pgdb::TestDb;

/// The first version of the kind.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct Module {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    title: String,
    credits: i64,
}

/// A new nullable, filterable field: additive.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleWithRoom {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    title: String,
    credits: i64,
    #[field(filter)]
    room: Option<String>,
}

/// `title` removed (and a new nullable `floor`, which must not be added either).
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleWithoutTitle {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    credits: i64,
    room: Option<String>,
    floor: Option<i64>,
}

/// `credits` retyped.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleRetyped {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    title: String,
    credits: f64,
    room: Option<String>,
}

/// `room` required.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleRoomRequired {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    title: String,
    credits: i64,
    room: String,
}

/// `title` renamed to `name`.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleRenamed {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    name: String,
    credits: i64,
    room: Option<String>,
}

/// `room` unique, and a new reference to departments.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleUniqueRoom {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    title: String,
    credits: i64,
    #[field(filter, unique)]
    room: Option<String>,
    #[field(references = campushub_core::Department)]
    department_id: Option<uuid::Uuid>,
}

/// An unconstrained `owner_id`.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleWithOwner {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    owner_id: Option<uuid::Uuid>,
}

/// `owner_id` now a reference to departments.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "module", table = "modules", core = campushub_core, sqlx = campushub_sqlx)]
pub struct ModuleOwnedByDepartment {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, natural_key)]
    code: String,
    #[field(references = campushub_core::Department)]
    owner_id: Option<uuid::Uuid>,
}

/// One database of either backend, driven the same way.
enum Db {
    Sqlite(campushub_sqlx::SqliteStore),
    /// The router, and the database it is over (dropped with it).
    Postgres(campushub_sqlx::PgRouter, #[allow(dead_code)] TestDb),
}

impl Db {
    async fn sqlite() -> Db {
        Db::Sqlite(campushub_sqlx::SqliteStore::memory().await.expect("sqlite"))
    }

    async fn postgres() -> Db {
        let db = TestDb::shared().await;
        Db::Postgres(db.primary_router().await, db)
    }

    async fn migrate(&self, kinds: &[KindSchema]) -> campushub_sqlx::Result<Vec<KindOutcome>> {
        match self {
            Db::Sqlite(store) => migrate::migrate_kinds_sqlite(store.pool(), kinds).await,
            Db::Postgres(router, _) => {
                migrate::migrate_kinds_postgres(router.primary_pool(), kinds).await
            }
        }
    }

    async fn print(&self, kinds: &[KindSchema]) -> String {
        match self {
            Db::Sqlite(store) => migrate::print_sqlite(store.pool(), kinds).await,
            Db::Postgres(router, _) => migrate::print_postgres(router.primary_pool(), kinds).await,
        }
        .expect("printed")
    }

    /// The record `id` read as kind `E`, as JSON.
    async fn get<E: SqlEntity>(&self, id: uuid::Uuid) -> Option<serde_json::Value> {
        async fn get<E: SqlEntity, B: Backend>(b: B, id: uuid::Uuid) -> Option<serde_json::Value> {
            let repository = SqlRepository::<E, B>::new(b);
            let found = repository.get(id, &ReadOptions::default()).await;
            let found = found.expect("read");
            found.map(|record| serde_json::to_value(record).expect("json"))
        }
        match self {
            Db::Sqlite(store) => get::<E, _>(store.clone(), id).await,
            Db::Postgres(router, _) => get::<E, _>(router.clone(), id).await,
        }
    }

    /// The description and hash recorded for the kind `module`.
    async fn recorded(&self) -> (String, String) {
        let sql = "SELECT description, hash FROM campushub_kind_schemas WHERE kind = 'module'";
        match self {
            Db::Sqlite(store) => sqlx::query_as(sql).fetch_one(store.pool()).await,
            Db::Postgres(router, _) => sqlx::query_as(sql).fetch_one(router.primary_pool()).await,
        }
        .expect("recorded")
    }

    fn dialect(&self) -> campushub_sqlx::Dialect {
        match self {
            Db::Sqlite(_) => campushub_sqlx::Dialect::Sqlite,
            Db::Postgres(..) => campushub_sqlx::Dialect::Postgres,
        }
    }

    async fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite(store) => sqlx::raw_sql(sql).execute(store.pool()).await.map(drop),
            Db::Postgres(router, _) => sqlx::raw_sql(sql)
                .execute(router.primary_pool())
                .await
                .map(drop),
        }
        .expect("executed");
    }

    async fn insert_module(&self, code: &str) -> uuid::Uuid {
        let input = serde_json::json!({"code": code, "title": "Graphs", "credits": 4});
        let input = serde_json::from_value(input).expect("input");
        let module = Module::from_input(input, RecordMeta::new(), "test");
        match self {
            Db::Sqlite(store) => {
                let repository = SqlRepository::<Module, _>::new(store.clone());
                repository.insert(&module).await
            }
            Db::Postgres(router, _) => {
                let repository = SqlRepository::<Module, _>::new(router.clone());
                repository.insert(&module).await
            }
        }
        .expect("inserted");
        module.meta.id
    }
}

/// The changes of a refusal, or a panic naming what happened instead.
fn refused(result: campushub_sqlx::Result<Vec<KindOutcome>>) -> Vec<SchemaChange> {
    match result {
        Err(campushub_sqlx::Error::SchemaDrift { kind, changes, .. }) => {
            assert_eq!(kind, "module");
            changes
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn column(name: &str) -> String {
    name.to_owned()
}

async fn the_runner_creates_evolves_and_refuses(db: Db) {
    let v1 = KindSchema::of::<Module>();
    let fresh = db.print(std::slice::from_ref(&v1)).await;
    assert!(fresh.contains("CREATE TABLE modules ("), "{fresh}");
    let created = db
        .migrate(std::slice::from_ref(&v1))
        .await
        .expect("created");
    assert!(created[0].created, "{created:?}");
    let again = db.migrate(std::slice::from_ref(&v1)).await.expect("re-run");
    assert!(again[0].is_noop(), "a re-run is a no-op: {again:?}");
    let id = db.insert_module("M1").await;

    // A new nullable, filterable field: printed, then applied with its index; the row kept.
    let v2 = KindSchema::of::<ModuleWithRoom>();
    let printed = db.print(std::slice::from_ref(&v2)).await;
    assert!(
        printed.contains("ALTER TABLE modules ADD COLUMN room"),
        "{printed}"
    );
    assert!(
        printed.contains("CREATE INDEX modules_room_idx ON modules (room)"),
        "{printed}"
    );
    let evolved = db
        .migrate(std::slice::from_ref(&v2))
        .await
        .expect("evolved");
    assert_eq!(
        evolved[0].statements.len(),
        2,
        "printing applied nothing: {evolved:?}"
    );
    let read = db.get::<ModuleWithRoom>(id).await.expect("the row is kept");
    assert_eq!(
        (&read["title"], &read["room"]),
        (&serde_json::json!("Graphs"), &serde_json::Value::Null)
    );
    assert!(db.migrate(std::slice::from_ref(&v2)).await.expect("no-op")[0].is_noop());

    // Changes that need a data migration: each named, nothing applied.
    let gone = refused(db.migrate(&[KindSchema::of::<ModuleWithoutTitle>()]).await);
    assert_eq!(
        gone,
        vec![SchemaChange::Removed {
            column: column("title")
        }]
    );
    let retyped = refused(db.migrate(&[KindSchema::of::<ModuleRetyped>()]).await);
    assert!(
        matches!(&retyped[..], [SchemaChange::TypeChanged { column, .. }] if column == "credits"),
        "{retyped:?}"
    );
    let required = refused(db.migrate(&[KindSchema::of::<ModuleRoomRequired>()]).await);
    assert_eq!(
        required,
        vec![SchemaChange::BecomesNotNull {
            column: column("room")
        }]
    );
    let renamed = refused(db.migrate(&[KindSchema::of::<ModuleRenamed>()]).await);
    assert_eq!(
        renamed,
        vec![SchemaChange::Renamed {
            from: column("title"),
            to: column("name")
        }]
    );
    let message = refused_message(&db, KindSchema::of::<ModuleWithoutTitle>()).await;
    assert!(
        message.contains("kind `module`") && message.contains("column `title` is gone"),
        "{message}"
    );
    let (description, hash) = db.recorded().await;
    assert_eq!(hash, v2.hash(db.dialect()), "the refusals recorded nothing");
    assert!(description.contains("column room "), "{description}");
    // `floor` was not added with the refused step: the previous description still matches.
    let unchanged = db
        .migrate(std::slice::from_ref(&v2))
        .await
        .expect("unchanged");
    assert!(unchanged[0].is_noop(), "{unchanged:?}");

    // The escape hatch: a hand-written migration drops the column, then the rest applies.
    // Two statements: a script runs whole.
    let drop_title = KindMigration::new(
        1,
        "ALTER TABLE modules DROP COLUMN title;\nUPDATE modules SET credits = credits + 1",
    );
    let v3 = KindSchema::of::<ModuleWithoutTitle>().with_migrations([drop_title]);
    let printed = db.print(std::slice::from_ref(&v3)).await;
    assert!(
        printed.contains("-- kind `module`: migration 1\nALTER TABLE modules DROP COLUMN title;\n"),
        "{printed}"
    );
    let resolved = db
        .migrate(std::slice::from_ref(&v3))
        .await
        .expect("resolved");
    assert_eq!(resolved[0].migrations, vec![1]);
    assert_eq!(
        resolved[0].statements,
        vec!["ALTER TABLE modules ADD COLUMN floor".to_owned() + floor_type(&db)]
    );
    assert!(db.migrate(std::slice::from_ref(&v3)).await.expect("no-op")[0].is_noop());
    let read = db
        .get::<ModuleWithoutTitle>(id)
        .await
        .expect("the row is kept");
    assert_eq!(read["credits"], 5, "the migration's second statement ran");

    // An applied migration may not be edited.
    let edited = KindMigration::new(1, "ALTER TABLE modules DROP COLUMN title");
    let edited = KindSchema::of::<ModuleWithoutTitle>().with_migrations([edited]);
    let error = db.migrate(&[edited]).await.expect_err("edited");
    assert!(
        error
            .to_string()
            .contains("migration 1 was applied with other SQL"),
        "{error}"
    );
}

async fn refused_message(db: &Db, schema: KindSchema) -> String {
    db.migrate(&[schema])
        .await
        .expect_err("refused")
        .to_string()
}

fn floor_type(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => " INTEGER",
        Db::Postgres(..) => " bigint",
    }
}

#[tokio::test]
async fn sqlite_creates_evolves_and_refuses_a_derived_kind() {
    the_runner_creates_evolves_and_refuses(Db::sqlite().await).await;
}

#[tokio::test]
async fn postgres_creates_evolves_and_refuses_a_derived_kind() {
    the_runner_creates_evolves_and_refuses(Db::postgres().await).await;
}

/// A table created from the description records the kind's migrations as applied without
/// running them: the new table already has what they do.
#[tokio::test]
async fn a_new_table_records_the_kinds_migrations_without_running_them() {
    let db = Db::sqlite().await;
    let broken = KindMigration::new(1, "THIS IS NOT SQL");
    let schema = KindSchema::of::<ModuleWithoutTitle>().with_migrations([broken]);
    let created = db
        .migrate(std::slice::from_ref(&schema))
        .await
        .expect("created");
    assert!(
        created[0].created && created[0].migrations.is_empty(),
        "{created:?}"
    );
    assert!(db.migrate(&[schema]).await.expect("no-op")[0].is_noop());
}

async fn a_new_unique_key_applies_when_the_data_allows(db: Db) {
    let v2 = KindSchema::of::<ModuleWithRoom>();
    db.migrate(std::slice::from_ref(&v2))
        .await
        .expect("created");
    db.insert_module("M1").await;
    db.insert_module("M2").await;
    db.execute("UPDATE modules SET room = 'A'").await;
    let unique = KindSchema::of::<ModuleUniqueRoom>();
    let clash = db.migrate(std::slice::from_ref(&unique)).await;
    assert!(
        matches!(&clash, Err(campushub_sqlx::Error::KindStatement { kind, .. }) if kind == "module"),
        "{clash:?}"
    );
    // Nothing of the refused step is kept: `department_id` was not added.
    assert!(db.migrate(std::slice::from_ref(&v2)).await.expect("no-op")[0].is_noop());

    db.execute("UPDATE modules SET room = code").await;
    let added = db
        .migrate(std::slice::from_ref(&unique))
        .await
        .expect("added");
    let statements = added[0].statements.join(";\n");
    assert!(
        statements.contains("ADD COLUMN department_id")
            && statements
                .contains("CONSTRAINT modules_department_id_fkey REFERENCES departments (id)")
            && statements.contains("modules_room_key")
            && statements.contains("(room)"),
        "{statements}"
    );
    db.execute("UPDATE modules SET room = 'B' WHERE code = 'M1'")
        .await;
    let clash = match &db {
        Db::Sqlite(store) => sqlx::query("UPDATE modules SET room = 'B' WHERE code = 'M2'")
            .execute(store.pool())
            .await
            .map(drop),
        Db::Postgres(router, _) => sqlx::query("UPDATE modules SET room = 'B' WHERE code = 'M2'")
            .execute(router.primary_pool())
            .await
            .map(drop),
    };
    assert!(clash.is_err(), "the unique key holds");
}

#[tokio::test]
async fn sqlite_adds_a_unique_key_when_the_data_allows() {
    a_new_unique_key_applies_when_the_data_allows(Db::sqlite().await).await;
}

#[tokio::test]
async fn postgres_adds_a_unique_key_when_the_data_allows() {
    a_new_unique_key_applies_when_the_data_allows(Db::postgres().await).await;
}

/// Instances starting together on Postgres apply a kind's step once: each waits for the
/// table's lock, and those after the first find nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runners_create_the_table_once() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let pool = router.primary_pool().clone();
    let schema = KindSchema::of::<ModuleWithRoom>();
    let runners: Vec<_> = (0..4)
        .map(|_| {
            let (pool, schema) = (pool.clone(), schema.clone());
            tokio::spawn(async move { migrate::migrate_kinds_postgres(&pool, &[schema]).await })
        })
        .collect();
    let mut created = 0;
    for runner in runners {
        let outcome = runner.await.expect("joined").expect("applied");
        if outcome[0].created {
            created += 1;
        } else {
            assert!(outcome[0].is_noop(), "{outcome:?}");
        }
    }
    assert_eq!(created, 1);
}

/// A reference declared on a column the table has: Postgres adds the foreign key, SQLite
/// (which cannot) refuses naming it.
#[tokio::test]
async fn a_new_reference_on_an_existing_column() {
    for db in [Db::sqlite().await, Db::postgres().await] {
        let unconstrained = KindSchema::of::<ModuleWithOwner>();
        db.migrate(std::slice::from_ref(&unconstrained))
            .await
            .expect("created");
        let owned = KindSchema::of::<ModuleOwnedByDepartment>();
        let outcome = db.migrate(std::slice::from_ref(&owned)).await;
        match db {
            Db::Sqlite(_) => assert_eq!(
                refused(outcome),
                vec![SchemaChange::NewReference {
                    column: column("owner_id"),
                    table: column("departments"),
                }]
            ),
            Db::Postgres(..) => {
                let statements = outcome.expect("added")[0].statements.join(";\n");
                assert!(
                    statements.contains(
                        "ADD CONSTRAINT modules_owner_id_fkey FOREIGN KEY (owner_id) \
                         REFERENCES departments (id)"
                    ),
                    "{statements}"
                );
                let again = db.migrate(&[owned]).await.expect("no-op");
                assert!(
                    again[0].is_noop(),
                    "the catalog shows the new key: {again:?}"
                );
            }
        }
    }
}
