//! Postgres plans of list pages. With 20,000 students seeded and analyzed (enough that a scan
//! of the table costs more than an index walk), every filter and ordering a list page
//! documents and the load test drives reads an index with neither a Seq Scan nor a Sort of
//! the table, both as the custom plan of the first executions and as the generic plan a
//! prepared statement keeps; a bounded count reads no more rows than its bound.
//!
//! `enable_seqscan` and the other planner settings stay at their defaults: the planner's own
//! choice is what is checked.

use campushub_core::{
    BatchMode, Department, Entity, ListQuery, ReadOptions, ReadRoute, Repository, Student,
};
use campushub_sqlx::SqlRepository;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

/// Students seeded: statuses 60/20/20%, three genders, four years, 20 departments.
const STUDENTS: usize = 20_000;

/// The select list and table of a page, as the repository writes it (the columns do not
/// change the plan's shape).
const PAGE: &str = r#"SELECT t.* FROM "students" t"#;
/// The default order (`-created_at`, then id) and the page's limit.
const NEWEST: &str = r#" ORDER BY t."created_at" DESC, t."id" DESC LIMIT 51"#;

/// A database with [`STUDENTS`] students over 20 departments, analyzed.
async fn seeded() -> TestDb {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let departments: Vec<Department> = (0..20).map(|i| department(&format!("P{i}"))).collect();
    SqlRepository::<Department, _>::new(router.clone())
        .insert_many(&departments, BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let statuses = ["ACTIVE", "ACTIVE", "ACTIVE", "INACTIVE", "GRADUATED"];
    let genders = ["F", "M", "O"];
    let rows: Vec<Student> = (0..STUDENTS)
        .map(|i| {
            let extra = json!({
                "status": statuses[i % 5],
                "gender": genders[i % 3],
                "year_of_study": i % 4 + 1,
                "last_name": format!("Name{:05}", (i * 7919) % STUDENTS),
            });
            student(
                &format!("S{i:05}"),
                Some(departments[i % 20].meta.id),
                extra,
            )
        })
        .collect();
    SqlRepository::<Student, _>::new(router)
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("students");
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    sqlx::raw_sql("VACUUM ANALYZE students, departments")
        .execute(&mut conn)
        .await
        .expect("analyze");
    db
}

/// The node types of `plan` and its children, each with the relation it reads (if any).
fn nodes(plan: &Value, out: &mut Vec<(String, Option<String>)>) {
    let kind = plan["Node Type"].as_str().unwrap_or_default().to_owned();
    let relation = plan["Relation Name"].as_str().map(str::to_owned);
    out.push((kind, relation));
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

/// The plan of `EXECUTE page(args)` as JSON.
async fn explain(conn: &mut PgConnection, execute: &str) -> Value {
    explain_with(conn, PLANNED, execute).await
}

/// `EXPLAIN` options: the plan alone.
const PLANNED: &str = "FORMAT JSON";

/// `EXPLAIN` options: the plan run, with its buffers and rows fetched.
const ANALYZED: &str = "ANALYZE, BUFFERS, FORMAT JSON";

/// The plan of `execute` explained with `options` ([`PLANNED`] or [`ANALYZED`]).
async fn explain_with(conn: &mut PgConnection, options: &str, execute: &str) -> Value {
    let explained: Value = sqlx::query_scalar(&format!("EXPLAIN ({options}) {execute}"))
        .fetch_one(&mut *conn)
        .await
        .expect("explain");
    explained[0]["Plan"].clone()
}

/// Prepares `sql` with `types` and checks the custom plan of its first execution and the
/// generic plan with `args`: an index of `students`, no Seq Scan of it, and no Sort unless
/// `sort_allowed` (a search sorts the few rows its trigram indexes found, never the table).
async fn check(conn: &mut PgConnection, sql: &str, types: &str, args: &str, sort_allowed: bool) {
    // Not `DEALLOCATE ALL`: sqlx's own prepared statements live on this connection too.
    sqlx::raw_sql(&format!("PREPARE page({types}) AS {sql}"))
        .execute(&mut *conn)
        .await
        .expect("prepare");
    for mode in ["force_custom_plan", "force_generic_plan"] {
        sqlx::raw_sql(&format!("SET plan_cache_mode = {mode}"))
            .execute(&mut *conn)
            .await
            .expect("plan cache mode");
        let plan = explain(conn, &format!("EXECUTE page({args})")).await;
        let mut found = Vec::new();
        nodes(&plan, &mut found);
        let on_students = |kind: &str| {
            found
                .iter()
                .any(|(k, r)| k == kind && r.as_deref() == Some("students"))
        };
        let context = format!("{mode}: {sql} ({args})\n{plan:#}");
        assert!(
            !on_students("Seq Scan"),
            "no Seq Scan of students: {context}"
        );
        assert!(
            ["Index Scan", "Index Only Scan", "Bitmap Heap Scan"]
                .iter()
                .any(|kind| on_students(kind)),
            "an index of students: {context}"
        );
        let sorted = found.iter().any(|(k, _)| k.contains("Sort"));
        assert!(sort_allowed || !sorted, "no Sort: {context}");
    }
    sqlx::raw_sql("RESET plan_cache_mode; DEALLOCATE page")
        .execute(&mut *conn)
        .await
        .expect("reset");
}

#[tokio::test]
async fn pg_list_pages_read_an_index_without_sorting_the_table() {
    let db = seeded().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    let conn = &mut conn;
    // Filters of one parameter, in the default order.
    for (condition, ty, arg) in [
        (r#"t."status" = $1"#, "text", "'ACTIVE'"),
        (r#"t."status" = $1"#, "text", "'GRADUATED'"),
        (r#"t."gender" = $1"#, "text", "'F'"),
        (r#"t."year_of_study" = $1"#, "bigint", "1"),
        (r#"t."year_of_study" >= $1"#, "bigint", "3"),
    ] {
        let sql = format!("{PAGE} WHERE {condition}{NEWEST}");
        check(conn, &sql, ty, arg, false).await;
    }
    let department: String = sqlx::query_scalar(r#"SELECT "id"::text FROM "departments" LIMIT 1"#)
        .fetch_one(&mut *conn)
        .await
        .expect("a department");
    let sql = format!(r#"{PAGE} WHERE t."department_id" = $1{NEWEST}"#);
    check(conn, &sql, "uuid", &format!("'{department}'"), false).await;
    let sql = format!(r#"{PAGE} WHERE t."status" = $1 AND t."gender" = $2{NEWEST}"#);
    check(conn, &sql, "text, text", "'ACTIVE', 'M'", false).await;
    // No filter, in the default order and by last name; a page-number page's offset.
    check(conn, &format!("{PAGE}{NEWEST}"), "int", "1", false).await;
    let by_name = format!(r#"{PAGE} ORDER BY t."last_name" ASC, t."id" ASC LIMIT 51"#);
    check(conn, &by_name, "int", "1", false).await;
    let offset = format!("{PAGE}{NEWEST} OFFSET $1");
    check(conn, &offset, "bigint", "950", false).await;
    // Search: a common letter walks the default order; a rare term reads the trigram
    // indexes and sorts only what they found.
    let search = format!(
        r#"{PAGE} WHERE (t."roll_number" COLLATE "default" ILIKE $1 ESCAPE '\' OR t."first_name" COLLATE "default" ILIKE $1 ESCAPE '\' OR t."last_name" COLLATE "default" ILIKE $1 ESCAPE '\' OR t."email" COLLATE "default" ILIKE $1 ESCAPE '\'){NEWEST}"#
    );
    check(conn, &search, "text", "'%a%'", false).await;
    check(conn, &search, "text", "'%s01234%'", true).await;
}

#[tokio::test]
async fn pg_a_bounded_count_reads_no_more_than_its_bound() {
    let db = seeded().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    let bounded =
        r#"SELECT count(*) FROM (SELECT 1 FROM "students" t WHERE t."status" = $1 LIMIT $2) c"#;
    sqlx::raw_sql(&format!("PREPARE bounded(text, bigint) AS {bounded}"))
        .execute(&mut conn)
        .await
        .expect("prepare");
    let plan: Value = sqlx::query_scalar(
        "EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) EXECUTE bounded('ACTIVE', 1001)",
    )
    .fetch_one(&mut conn)
    .await
    .expect("explain analyze");
    let limit = &plan[0]["Plan"]["Plans"][0];
    assert_eq!(limit["Node Type"], "Limit", "{plan:#}");
    assert_eq!(limit["Actual Rows"], 1001, "{plan:#}");
    let scan = &limit["Plans"][0];
    assert!(
        scan["Actual Rows"]
            .as_u64()
            .is_some_and(|rows| rows <= 1001),
        "the scan stops at the bound: {plan:#}"
    );
}

/// The statement of filtered statistics, as the repository writes it: the matching rows
/// grouped by every statistics field in the order of the statistics index.
const STATISTICS: &str = r#"SELECT t."department_id", t."status", t."year_of_study", t."gender", count(*) FROM "students" t WHERE {} GROUP BY t."department_id", t."status", t."year_of_study", t."gender""#;

/// Vacuums `students` until its visibility map covers every page, as autovacuum does in
/// time: an index-only scan needs it. Rows just written are not yet visible to every
/// transaction the replica's feedback (sent every few seconds) may hold a snapshot for, so
/// the first vacuums may leave pages unmarked.
async fn all_visible(conn: &mut PgConnection) {
    for _ in 0..60 {
        sqlx::raw_sql("VACUUM ANALYZE students")
            .execute(&mut *conn)
            .await
            .expect("vacuum");
        let (visible, pages): (i32, i32) = sqlx::query_as(
            "SELECT relallvisible, relpages FROM pg_class WHERE oid = 'students'::regclass",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("visibility map");
        if visible == pages {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    panic!("vacuum did not mark every page of students all-visible within a minute");
}

/// Every node of `plan` and its children.
fn all_nodes(plan: &Value) -> Vec<&Value> {
    let mut out = vec![plan];
    for child in plan["Plans"].as_array().into_iter().flatten() {
        out.extend(all_nodes(child));
    }
    out
}

/// How `plan` reads `students`: each node's type and index.
fn students_reads(plan: &Value) -> Vec<(&str, &str)> {
    all_nodes(plan)
        .into_iter()
        .filter(|node| node["Relation Name"] == "students")
        .map(|node| {
            (
                node["Node Type"].as_str().unwrap_or_default(),
                node["Index Name"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

/// The plans of `sql` prepared with `types` and executed with `args`: the custom plan of the
/// first executions and the generic plan a prepared statement keeps, each with its mode.
async fn both_plans(
    conn: &mut PgConnection,
    sql: &str,
    types: &str,
    args: &str,
) -> Vec<(&'static str, Value)> {
    explained_plans(conn, PLANNED, sql, types, args).await
}

/// [`both_plans`], explained with `options`.
async fn explained_plans(
    conn: &mut PgConnection,
    options: &str,
    sql: &str,
    types: &str,
    args: &str,
) -> Vec<(&'static str, Value)> {
    sqlx::raw_sql(&format!("PREPARE checked({types}) AS {sql}"))
        .execute(&mut *conn)
        .await
        .expect("prepare");
    let mut plans = Vec::new();
    for mode in ["force_custom_plan", "force_generic_plan"] {
        sqlx::raw_sql(&format!("SET plan_cache_mode = {mode}"))
            .execute(&mut *conn)
            .await
            .expect("plan cache mode");
        plans.push((
            mode,
            explain_with(conn, options, &format!("EXECUTE checked({args})")).await,
        ));
    }
    sqlx::raw_sql("RESET plan_cache_mode; DEALLOCATE checked")
        .execute(&mut *conn)
        .await
        .expect("reset");
    plans
}

/// Statistics the kept counts cannot answer (a filter on a statistics field) read the
/// statistics index alone, as the custom plan of the first executions and as the generic
/// plan: an index-only scan of `students_statistics_idx`, no other read of students, and one
/// aggregation of its entries in the order they come (no Sort, no hash table).
#[tokio::test]
async fn pg_filtered_statistics_read_the_statistics_index_alone() {
    let db = seeded().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    all_visible(&mut conn).await;
    let department: String = sqlx::query_scalar(r#"SELECT "id"::text FROM "departments" LIMIT 1"#)
        .fetch_one(&mut conn)
        .await
        .expect("a department");
    // The statement checked below is the one the repository sends (pg_stat_statements, which
    // the test services preload, records it in this test's own database).
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&mut conn)
        .await
        .expect("pg_stat_statements");
    let students = SqlRepository::<Student, _>::new(db.primary_router().await);
    let query = ListQuery::parse_filters(
        Student::schema(),
        [("department_id", department.as_str())],
        &[],
    )
    .expect("a filter");
    students
        .group_counts(
            &query,
            Student::schema().stats,
            &ReadOptions::default().on(ReadRoute::Primary),
        )
        .await
        .expect("statistics");
    let sent: Vec<String> = sqlx::query_scalar(
        "SELECT query FROM pg_stat_statements \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND query LIKE 'SELECT %count(*) FROM \"students\" t%GROUP BY%'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("the statements sent");
    assert_eq!(
        sent,
        [STATISTICS.replace("{}", r#"t."department_id" = $1"#)]
    );
    let department = format!("'{department}'");
    for (condition, types, args) in [
        (r#"t."department_id" = $1"#, "uuid", department.as_str()),
        (r#"t."status" = $1"#, "text", "'ACTIVE'"),
        (r#"t."year_of_study" = $1"#, "bigint", "2"),
        (r#"t."gender" = $1"#, "text", "'F'"),
        (
            r#"t."department_id" = $1 AND t."status" = $2"#,
            "uuid, text",
            &format!("{department}, 'GRADUATED'"),
        ),
    ] {
        let sql = STATISTICS.replace("{}", condition);
        for (mode, plan) in both_plans(&mut conn, &sql, types, args).await {
            let context = format!("{mode}: {sql} ({args})\n{plan:#}");
            assert_eq!(
                students_reads(&plan),
                [("Index Only Scan", "students_statistics_idx")],
                "{context}"
            );
            let nodes = all_nodes(&plan);
            assert!(
                !nodes.iter().any(|node| node["Node Type"] == "Sort"),
                "no Sort: {context}"
            );
            let aggregates: Vec<&str> = nodes
                .iter()
                .filter(|node| node["Node Type"] == "Aggregate")
                .map(|node| node["Strategy"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(aggregates, ["Sorted"], "a streaming aggregate: {context}");
        }
    }
}

/// The uniqueness check before a bulk insert probes the column's unique index once per value,
/// as the custom and the generic plan, whatever the planner's cost settings: a thousand values
/// neither scan the table nor gather a bitmap of it (the former `= ANY($1)` did, from 100,000
/// rows on).
#[tokio::test]
async fn pg_a_bulk_uniqueness_check_probes_the_unique_index() {
    let db = seeded().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    let values: Vec<String> = (0..1000).map(|i| format!("'new{i}@example.edu'")).collect();
    let sql = r#"SELECT k.v FROM unnest($1) AS k(v) CROSS JOIN LATERAL (SELECT 1 FROM "students" t WHERE t."email" = k.v LIMIT 1) AS hit"#;
    let args = format!("ARRAY[{}]", values.join(", "));
    for (mode, plan) in both_plans(&mut conn, sql, "text[]", &args).await {
        assert_eq!(
            students_reads(&plan),
            [("Index Only Scan", "students_email_key")],
            "{mode}: {plan:#}"
        );
        assert_eq!(plan["Node Type"], "Nested Loop", "{mode}: {plan:#}");
    }
}

/// A deep page-number page (page 201 of 50: 10,000 rows skipped) as the repository sends it:
/// the keys in a subquery, then the rows by key, in the page's order.
const DEFERRED_PAGE: &str = r#"SELECT % FROM "students" t WHERE t."id" = ANY(ARRAY(SELECT t."id" FROM "students" t{filter} ORDER BY {order} LIMIT $_ OFFSET $_)) ORDER BY {order}"#;

/// A deep page-number page on Postgres selects its keys from the ordering's index alone (an
/// index-only scan that fetches no heap row, the skipped rows included), then reads the
/// page's rows by primary key: for the default ordering, a filter the ordering's index
/// leads with, and ordering by last name; as the custom and the generic plan. A shallow page
/// keeps the plain statement.
#[tokio::test]
async fn pg_a_deep_page_number_page_reads_its_keys_from_an_index_alone() {
    let db = seeded().await;
    let mut conn = PgConnection::connect(&db.primary).await.expect("connect");
    all_visible(&mut conn).await;
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&mut conn)
        .await
        .expect("pg_stat_statements");
    let students = SqlRepository::<Student, _>::new(db.primary_router().await);
    let newest = r#"t."created_at" DESC, t."id" DESC"#;
    let by_name = r#"t."last_name" ASC, t."id" ASC"#;
    let active = r#" WHERE t."status" = $_"#;
    for (params, filter, order, index) in [
        (vec![], "", newest, "students_created_at_id_idx"),
        (
            vec![("status", "ACTIVE")],
            active,
            newest,
            "students_status_created_at_id_idx",
        ),
        (
            vec![("ordering", "last_name")],
            "",
            by_name,
            "students_last_name_id_idx",
        ),
    ] {
        // The statements the repository sends for a shallow and a deep page.
        sqlx::raw_sql("SELECT pg_stat_statements_reset()")
            .execute(&mut conn)
            .await
            .expect("reset statistics");
        for page in ["2", "201"] {
            let mut all = params.clone();
            all.extend([("page", page), ("page_size", "50")]);
            let query = ListQuery::parse(
                Student::schema(),
                all,
                &[],
                &campushub_core::query::CursorCodec::new(b"plans"),
            )
            .expect("a query");
            let page = students
                .list(&query, &ReadOptions::default().on(ReadRoute::Primary))
                .await
                .expect("a page");
            assert_eq!(page.len(), 51, "a page and one row more");
        }
        let shape = DEFERRED_PAGE
            .replace("{filter}", filter)
            .replace("{order}", order);
        // pg_stat_statements numbers the parameters; `_` in LIKE matches one digit of them.
        let sent: Vec<String> = sqlx::query_scalar(
            "SELECT query FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND query LIKE $1",
        )
        .bind(&shape)
        .fetch_all(&mut conn)
        .await
        .expect("the statements sent");
        assert_eq!(
            sent.len(),
            1,
            "one deferred page of two: {shape}\n{sent:#?}"
        );
        let sql = &sent[0];
        let (types, args) = match filter {
            "" => ("bigint, bigint", "51, 10000"),
            _ => ("text, bigint, bigint", "'ACTIVE', 51, 10000"),
        };
        for (mode, plan) in explained_plans(&mut conn, ANALYZED, sql, types, args).await {
            let context = format!("{mode}: {sql}\n{plan:#}");
            let reads: Vec<&Value> = all_nodes(&plan)
                .into_iter()
                .filter(|node| node["Relation Name"] == "students")
                .collect();
            let keys = reads
                .iter()
                .find(|node| node["Index Name"] == index)
                .unwrap_or_else(|| panic!("the keys read from {index}: {context}"));
            assert_eq!(keys["Node Type"], "Index Only Scan", "{context}");
            assert_eq!(keys["Heap Fetches"], 0, "no skipped row read: {context}");
            assert!(
                keys["Actual Rows"]
                    .as_u64()
                    .is_some_and(|rows| rows >= 10_051),
                "the keys walk past the skipped rows: {context}"
            );
            let rows = reads
                .iter()
                .find(|node| node["Index Name"] != index)
                .unwrap_or_else(|| panic!("the rows read by key: {context}"));
            assert_eq!(
                (&rows["Node Type"], &rows["Index Name"]),
                (&json!("Index Scan"), &json!("students_pkey")),
                "{context}"
            );
            assert_eq!(rows["Actual Rows"], 51, "only the page's rows: {context}");
            assert_eq!(reads.len(), 2, "no other read of students: {context}");
        }
    }
}
