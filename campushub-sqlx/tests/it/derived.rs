//! The conformance cases of a derived kind (`#[derive(Entity, SqlEntity)]`, its table created
//! from the description by `migrate_kind`) on SQLite and on Postgres, and what the generated
//! schema holds.

use std::sync::Arc;

use campushub_core::conformance::derived::DerivedFixture;
use campushub_core::{Audit, Department, Embedded, RecordMeta, Repository};
use campushub_derive::{Entity, SqlEntity};
use campushub_sqlx::{ddl, Dialect, SqlRepository};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The course of `examples/custom_entity.rs`, derived against these crates.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "course", table = "courses", core = campushub_core, sqlx = campushub_sqlx)]
pub struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(filter, order, search, natural_key, text = 20)]
    code: String,
    #[field(filter = "eq", search, text = 200)]
    title: String,
    #[field(filter, references = Department)]
    department_id: Option<Uuid>,
    #[field(filter, order, stats, range(1, 12))]
    credits: i64,
    #[field(embed(from = department_id, fields(code, name)))]
    department: Option<Embedded>,
    #[serde(default)]
    custom_fields: Map<String, Value>,
    #[serde(flatten)]
    audit: Audit,
}

/// The same table, described with one more column: a change that needs a migration.
#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "course", table = "courses", core = campushub_core, sqlx = campushub_sqlx)]
pub struct CourseWithSeats {
    #[serde(flatten)]
    meta: RecordMeta,
    #[field(natural_key)]
    code: String,
    title: String,
    department_id: Option<Uuid>,
    credits: i64,
    seats: i64,
}

pub async fn sqlite_fixture() -> DerivedFixture<Course> {
    let store = campushub_sqlx::SqliteStore::memory().await.expect("sqlite");
    store
        .migrate_kind::<Course>()
        .await
        .expect("the courses table");
    DerivedFixture {
        courses: Arc::new(SqlRepository::new(store.clone())),
        departments: Arc::new(SqlRepository::new(store)),
    }
}

pub async fn pg_fixture() -> DerivedFixture<Course> {
    let db = Arc::new(crate::support::pgdb::TestDb::shared().await);
    let router = db.primary_router().await;
    campushub_sqlx::migrate::migrate_kind_postgres::<Course>(router.primary_pool())
        .await
        .expect("the courses table");
    let courses: Arc<dyn Repository<Course>> = Arc::new(SqlRepository::new(router.clone()));
    let departments: Arc<dyn Repository<Department>> = Arc::new(SqlRepository::new(router));
    DerivedFixture {
        courses: Arc::new(crate::support::keep::Keep::new(courses, db.clone())),
        departments: Arc::new(crate::support::keep::Keep::new(departments, db)),
    }
}

mod sqlite {
    campushub_core::derived_kind_suite!(super::Course, super::sqlite_fixture());
}

mod pg {
    campushub_core::derived_kind_suite!(super::Course, super::pg_fixture());
}

/// The generated SQLite schema: the table with its keys, an index per declared filter and
/// ordering, and the outbox's triggers.
#[test]
fn the_generated_schema_holds_keys_indexes_and_the_outbox_capture() {
    let sqlite = ddl::create_table::<Course>(Dialect::Sqlite).join(";\n");
    for expected in [
        "code TEXT NOT NULL",
        "department_id TEXT,",
        "CONSTRAINT courses_code_key UNIQUE (code)",
        "CONSTRAINT courses_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id)",
        "CREATE INDEX courses_credits_id_idx ON courses (credits, id)",
        "CREATE INDEX courses_title_idx ON courses (title)",
        "CREATE TRIGGER courses_outbox_inserts AFTER INSERT ON courses",
        "VALUES ('course', OLD.id, 'deleted', OLD.version + 1)",
    ] {
        assert!(sqlite.contains(expected), "`{expected}` missing from:\n{sqlite}");
    }
    assert!(
        !sqlite.contains("courses_code_idx"),
        "the unique key indexes code"
    );
    let pg = ddl::create_table::<Course>(Dialect::Postgres).join(";\n");
    assert!(pg.contains("code text COLLATE \"C\" NOT NULL"), "{pg}");
    assert!(
        pg.contains("SELECT campushub_capture_changes('courses', 'course')"),
        "{pg}"
    );
}

/// A table whose columns differ from the description is named and left as it is; the same
/// description again is a no-op.
#[tokio::test]
async fn a_changed_description_is_refused_naming_the_change() {
    let store = campushub_sqlx::SqliteStore::memory().await.expect("sqlite");
    store.migrate_kind::<Course>().await.expect("created");
    store
        .migrate_kind::<Course>()
        .await
        .expect("unchanged: nothing to do");
    let error = store
        .migrate_kind::<CourseWithSeats>()
        .await
        .expect_err("drift");
    let message = error.to_string();
    assert!(message.contains("column `seats` is new"), "{message}");
    assert!(
        matches!(error, campushub_sqlx::Error::SchemaDrift { .. }),
        "{error:?}"
    );
}

/// The same on Postgres, where the generated table's changes reach the outbox.
#[tokio::test]
async fn postgres_creates_the_table_once_and_captures_its_changes() {
    let db = crate::support::pgdb::TestDb::shared().await;
    let router = db.primary_router().await;
    let pool = router.primary_pool();
    campushub_sqlx::migrate::migrate_kind_postgres::<Course>(pool)
        .await
        .expect("created");
    campushub_sqlx::migrate::migrate_kind_postgres::<Course>(pool)
        .await
        .expect("no-op");
    let drift = campushub_sqlx::migrate::migrate_kind_postgres::<CourseWithSeats>(pool).await;
    assert!(
        matches!(drift, Err(campushub_sqlx::Error::SchemaDrift { .. })),
        "{drift:?}"
    );
    let triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'courses'::regclass AND NOT tgisinternal",
    )
    .fetch_one(pool)
    .await
    .expect("triggers");
    assert_eq!(triggers, 4, "three captures and the version's move");
}
