//! Single-record reads and writes, and the mapping of database failures to core errors, on
//! both backends.

use campushub_core::{Department, Entity, Error, ReadOptions, ReadRoute, Repository, Student};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use serde_json::json;
use uuid::Uuid;

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

async fn crud_and_errors<B: Backend>(backend: B) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend.clone());

    let cse = department("CSE");
    let first = departments.insert(&cse).await.expect("insert department");
    let mut ada = student(
        "R001",
        Some(cse.meta.id),
        json!({ "custom_fields": { "hobby": "chess" } }),
    );
    let second = students.insert(&ada).await.expect("insert student");
    assert!(second.token > first.token, "tokens grow with every commit");

    // Retrieve carries the department summary.
    let got = students
        .get(ada.meta.id, &primary())
        .await
        .expect("get")
        .expect("found");
    let summary = got.department.clone().expect("department summary");
    assert_eq!((summary.id, summary.code.as_str()), (cse.meta.id, "CSE"));
    let mut expected = ada.clone();
    expected.department = got.department.clone();
    assert_eq!(got, expected, "a record reads back as written");

    // Update with the right version, then with a stale one.
    let old = ada.meta.version;
    ada.person.first_name = "Augusta".into();
    ada.meta = ada.meta.next();
    students.update(&ada, old).await.expect("update");
    let again = students.update(&ada, old).await.expect_err("stale version");
    assert!(
        matches!(again, Error::PreconditionFailed { expected, actual } if expected == old && actual == old + 1),
        "{again:?}"
    );
    let mut ghost = ada.clone();
    ghost.meta.id = Uuid::now_v7();
    let missing = students.update(&ghost, 1).await.expect_err("missing");
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");

    // Unique clashes name the field.
    let clash = student("R001", None, json!({ "email": "fresh@uni.test" }));
    let error = students
        .insert(&clash)
        .await
        .expect_err("roll number taken");
    assert!(
        matches!(&error, Error::Conflict { field, .. } if field == "roll_number"),
        "{error:?}"
    );
    let clash = student("R002", None, json!({ "email": "r001@uni.test" }));
    let error = students.insert(&clash).await.expect_err("email taken");
    assert!(
        matches!(&error, Error::Conflict { field, .. } if field == "email"),
        "{error:?}"
    );
    let mut same_code = department("CSE");
    same_code.name = "Elsewhere".into();
    let error = departments
        .insert(&same_code)
        .await
        .expect_err("code taken");
    assert!(
        matches!(&error, Error::Conflict { field, .. } if field == "code"),
        "{error:?}"
    );

    // A reference to a missing department is a validation error on the field.
    let orphan = student("R003", Some(Uuid::now_v7()), json!({}));
    let error = students
        .insert(&orphan)
        .await
        .expect_err("missing department");
    assert!(
        error
            .validation_errors()
            .is_some_and(|e| e.contains("department_id")),
        "{error:?}"
    );

    // Deleting a referenced department is a conflict; deleting in order works.
    let error = departments
        .delete(cse.meta.id, cse.meta.version)
        .await
        .expect_err("referenced");
    assert!(matches!(error, Error::Conflict { .. }), "{error:?}");
    let error = students
        .delete(ada.meta.id, old)
        .await
        .expect_err("stale delete");
    assert!(
        matches!(error, Error::PreconditionFailed { .. }),
        "{error:?}"
    );
    students
        .delete(ada.meta.id, ada.meta.version)
        .await
        .expect("delete student");
    departments
        .delete(cse.meta.id, cse.meta.version)
        .await
        .expect("delete department");
    assert!(students
        .get(ada.meta.id, &primary())
        .await
        .expect("get")
        .is_none());
    let error = departments.delete(cse.meta.id, 1).await.expect_err("gone");
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
}

async fn natural_keys_and_many<B: Backend>(backend: B) {
    let departments = SqlRepository::<Department, B>::new(backend.clone());
    let students = SqlRepository::<Student, B>::new(backend);
    let ece = department("ECE");
    departments.insert(&ece).await.expect("insert");
    let rows: Vec<Student> = (0..5)
        .map(|i| student(&format!("K{i}"), Some(ece.meta.id), json!({})))
        .collect();
    for row in &rows {
        students.insert(row).await.expect("insert");
    }
    let keys = vec!["K1".to_owned(), "K3".to_owned(), "nope".to_owned()];
    let mut found: Vec<String> = students
        .find_by_natural_keys(&keys, &primary())
        .await
        .expect("by keys")
        .into_iter()
        .map(|s| s.roll_number)
        .collect();
    found.sort();
    assert_eq!(found, ["K1", "K3"]);
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|s| s.meta.id)
        .take(3)
        .chain([Uuid::now_v7()])
        .collect();
    let many = students.get_many(&ids, &primary()).await.expect("many");
    assert_eq!(many.len(), 3);
    assert!(many
        .iter()
        .all(|s| s.department.as_ref().is_some_and(|d| d.code == "ECE")));
    let by_code = departments
        .find_by_natural_key("ECE", &primary())
        .await
        .expect("by code");
    assert_eq!(by_code.map(|d| d.meta().id), Some(ece.meta.id));
}

#[tokio::test]
async fn sqlite_crud_and_error_mapping() {
    crud_and_errors(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn sqlite_natural_keys_and_get_many() {
    natural_keys_and_many(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn pg_crud_and_error_mapping() {
    let db = TestDb::shared().await;
    crud_and_errors(db.primary_router().await).await;
}

#[tokio::test]
async fn pg_natural_keys_and_get_many() {
    let db = TestDb::shared().await;
    natural_keys_and_many(db.primary_router().await).await;
}

#[tokio::test]
async fn sqlite_file_database_round_trip() {
    let path = std::env::temp_dir().join(format!("campushub-{}.db", Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url)
        .await
        .expect("open a file database");
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrations are idempotent");
    crud_and_errors(store.clone()).await;
    natural_keys_and_many(store.clone()).await;
    store.pool().close().await;
    // Reopened, the data is still there.
    let reopened = SqliteStore::connect(&url).await.expect("reopen");
    let departments = SqlRepository::<Department, _>::new(reopened.clone());
    let ece = departments
        .find_by_natural_key("ECE", &primary())
        .await
        .expect("read");
    assert!(ece.is_some(), "rows survive a reopen");
    reopened.pool().close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
