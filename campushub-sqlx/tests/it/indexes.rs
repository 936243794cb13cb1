//! The list indexes: a filtered first page in the default order, and a page ordered by last
//! name, are read from an index without sorting the matching rows; on Postgres the trigram
//! indexes serve the collation the case-insensitive filters use.

use campushub_sqlx::SqliteStore;
use sqlx::{Connection, PgConnection, Row};

use crate::support::pgdb::TestDb;

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
