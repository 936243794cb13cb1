//! The list indexes: a filtered first page in the default order, and a page ordered by last
//! name, are read from an index without sorting the matching rows; on Postgres the trigram
//! indexes serve the collation the case-insensitive filters use.

use campushub_core::{BatchMode, Department, Repository, Student};
use campushub_sqlx::{SqlRepository, SqliteStore};
use serde_json::json;
use sqlx::{Connection, PgConnection, Row};

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;
use crate::support::sqlite_file::SqliteFile;

/// The SQLite plan of `sql`, one detail line per step.
async fn sqlite_plan(store: &SqliteStore, sql: &str) -> String {
    sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(store.pool())
        .await
        .expect("explain")
        .iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn sqlite_filtered_and_last_name_pages_need_no_sort() {
    let store = SqliteStore::memory().await.expect("sqlite");
    for table in ["students", "faculty"] {
        for (sql, index) in [
            (
                format!("SELECT t.* FROM {table} t WHERE t.status = 'ACTIVE' ORDER BY t.created_at DESC, t.id DESC LIMIT 51"),
                format!("{table}_status_created_at_id_idx"),
            ),
            (
                format!("SELECT t.* FROM {table} t WHERE t.department_id = 'x' ORDER BY t.created_at DESC, t.id DESC LIMIT 51"),
                format!("{table}_department_id_created_at_id_idx"),
            ),
            (
                format!("SELECT t.* FROM {table} t ORDER BY t.last_name ASC, t.id ASC LIMIT 51"),
                format!("{table}_last_name_id_idx"),
            ),
        ] {
            let plan = sqlite_plan(&store, &sql).await;
            assert!(plan.contains(&index), "{sql}\n{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "no sort: {sql}\n{plan}");
        }
    }
}

/// Statistics of one department, grouped by every statistics field in the statistics index's
/// order, read a range of that covering index alone and group its entries as they come (no
/// temporary B-tree). (With a filter on status alone, SQLite 3.46 prefers the status index
/// and a sort over skipping through the covering index: one read of the matching rows
/// either way, where the statistics used to read them once per field.)
#[tokio::test]
async fn sqlite_filtered_statistics_read_the_statistics_index_alone() {
    let file = SqliteFile::new("statistics-plans");
    let store = file.migrated_store().await;
    let departments: Vec<Department> = (0..10).map(|i| department(&format!("Q{i}"))).collect();
    SqlRepository::<Department, _>::new(store.clone())
        .insert_many(&departments, BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let statuses = ["ACTIVE", "ACTIVE", "INACTIVE", "GRADUATED"];
    let rows: Vec<Student> = (0..2_000)
        .map(|i| {
            let extra = json!({ "status": statuses[i % 4], "year_of_study": i % 4 + 1 });
            student(
                &format!("Q{i:04}"),
                Some(departments[i % 10].meta.id),
                extra,
            )
        })
        .collect();
    SqlRepository::<Student, _>::new(store.clone())
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("students");
    for (table, fields) in [
        (
            "students",
            "t.department_id, t.status, t.year_of_study, t.gender",
        ),
        (
            "faculty",
            "t.department_id, t.status, t.designation, t.employment_type",
        ),
    ] {
        for condition in [
            "t.department_id = 'x'",
            "t.department_id = 'x' AND t.status = 'ACTIVE'",
        ] {
            let sql = format!(
                "SELECT {fields}, count(*) FROM {table} t WHERE {condition} GROUP BY {fields}"
            );
            let plan = sqlite_plan(&store, &sql).await;
            let index = format!("COVERING INDEX {table}_statistics_idx");

            assert!(plan.contains(&index), "{sql}\n{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "no sort: {sql}\n{plan}");
        }
    }
}

#[tokio::test]
async fn pg_list_indexes_replace_the_single_column_ones() {
    let db = TestDb::shared().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    let names: Vec<String> =
        sqlx::query_scalar("SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'")
            .fetch_all(&mut conn)
            .await
            .expect("indexes");
    for table in ["students", "faculty"] {
        for index in [
            "status_created_at_id_idx",
            "department_id_created_at_id_idx",
            "last_name_id_idx",
        ] {
            let name = format!("{table}_{index}");
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        for replaced in ["status_idx", "department_id_idx"] {
            let name = format!("{table}_{replaced}");
            assert!(!names.contains(&name), "{name} was replaced");
        }
    }
}

#[tokio::test]
async fn pg_trigram_indexes_are_built_under_the_search_collation() {
    let db = TestDb::shared().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    let definitions: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = 'public' AND indexname LIKE '%trgm%'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("indexes");
    // Departments 2, faculty 5, students 5, custom fields 2, users 2.
    assert_eq!(definitions.len(), 16, "{definitions:?}");
    for (name, definition) in definitions {
        assert!(
            definition.contains(r#"COLLATE "default""#),
            "{name}: {definition}"
        );
    }
}
