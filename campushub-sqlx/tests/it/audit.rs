//! Departments and custom-field definitions gained audit columns in a migration: on a
//! database from before it, on both backends, the rows it finds read with unknown writers
//! until their next write. (Core's conformance suite, run here on both backends by
//! `conformance.rs`, holds the round trip of the writers of every kind: `crud::*_crud`,
//! `crud::unknown_writers_read_as_null`.)

use std::future::Future;
use std::pin::Pin;

use campushub_core::{Audit, CustomFieldDef, Department, ReadOptions, ReadRoute, Repository};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};
use uuid::Uuid;

use crate::support::pgdb::TestDb;

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

/// A department and a definition as rows written before the audit columns existed, with
/// `at` the dialect's literal of an instant.
fn rows_before_audit(department: Uuid, definition: Uuid, at: &str) -> String {
    format!(
        "INSERT INTO departments (id, created_at, updated_at, version, code, name, kind, status) \
         VALUES ('{department}', {at}, {at}, 1, 'OLD', 'Old department', 'ACADEMIC', 'ACTIVE');
         INSERT INTO custom_field_defs (id, created_at, updated_at, version, entity, name, \
         label, field_type, required, help_text, is_active, \"order\") \
         VALUES ('{definition}', {at}, {at}, 1, 'department', 'old', 'Old', 'text', FALSE, '', \
         TRUE, 0);"
    )
}

/// The migrations of `all` before version `version`, as a source a [`Migrator`] runs.
#[derive(Debug)]
struct Before(Vec<Migration>);

impl Before {
    fn version(all: &Migrator, version: i64) -> Self {
        let kept = all.iter().filter(|m| m.version < version).cloned();
        Before(kept.collect())
    }
}

impl MigrationSource<'static> for Before {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { Ok(self.0) })
    }
}

/// Over a store migrated with the rows of [`rows_before_audit`] written before the audit
/// columns: the rows read with unknown writers, and their next write records its writer
/// while the creator stays unknown.
async fn rows_from_before_keep_unknown_writers<B: Backend>(
    backend: B,
    department: Uuid,
    definition: Uuid,
) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let old = departments
        .get(department, &primary())
        .await
        .expect("get")
        .expect("the row survives the migration");
    assert_eq!(old.audit, Audit::default(), "unknown writers read as none");
    let mut edited = old.clone();
    edited.audit.written("editor");
    edited.meta = old.meta.next();
    departments.update(&edited, 1).await.expect("update");
    let read = departments.get(department, &primary()).await.expect("get");
    let audit = read.expect("found").audit;
    assert_eq!(
        (audit.created_by, audit.updated_by.as_deref()),
        (None, Some("editor"))
    );

    let definitions = SqlRepository::<CustomFieldDef, B>::new(backend);
    let old = definitions.get(definition, &primary()).await.expect("get");
    assert_eq!(old.expect("the row survives").audit, Audit::default());
}

#[tokio::test]
async fn sqlite_rows_from_before_the_audit_columns_read_unknown_writers() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("sqlite");
    let earlier = Before::version(&sqlx::migrate!("./migrations/sqlite"), 3);
    let earlier = Migrator::new(earlier).await.expect("migrations");
    earlier.run(store.pool()).await.expect("earlier migrations");
    let (department, definition) = (Uuid::now_v7(), Uuid::now_v7());
    let instant = "1704067200000000"; // 2024-01-01T00:00:00Z in microseconds
    sqlx::raw_sql(&rows_before_audit(department, definition, instant))
        .execute(store.pool())
        .await
        .expect("rows written before the audit columns");
    store.migrate().await.expect("the remaining migrations");
    rows_from_before_keep_unknown_writers(store, department, definition).await;
}

#[tokio::test]
async fn pg_rows_from_before_the_audit_columns_read_unknown_writers() {
    let db = TestDb::shared_unmigrated().await;
    let pool = sqlx::PgPool::connect(&db.primary).await.expect("connect");
    let earlier = Before::version(&sqlx::migrate!("./migrations/postgres"), 4);
    let earlier = Migrator::new(earlier).await.expect("migrations");
    earlier.run(&pool).await.expect("earlier migrations");
    let (department, definition) = (Uuid::now_v7(), Uuid::now_v7());
    let instant = "'2024-01-01T00:00:00Z'";
    sqlx::raw_sql(&rows_before_audit(department, definition, instant))
        .execute(&pool)
        .await
        .expect("rows written before the audit columns");
    pool.close().await;
    let router = db.primary_router().await;
    router.migrate().await.expect("the remaining migrations");
    rows_from_before_keep_unknown_writers(router, department, definition).await;
}
