//! The counts the writes keep (`campushub_group_counts`) agree with the rows after a seeded
//! run of concurrent creates, updates (moving students between statuses, genders, years and
//! departments), deletes and bulk calls, on Postgres and SQLite; and statistics read from
//! them equal statistics counted from the rows.

use campushub_core::repository::GroupCounts;
use campushub_core::{BatchMode, Department, Entity, ListQuery, ReadOptions, ReadRoute};
use campushub_core::{Repository, Scalar, Student};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use campushub_testkit::SeededRng;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::Connection;
use uuid::Uuid;

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;
use crate::support::sqlite_file::SqliteFile;

const SEED: u64 = 20_261_128;
const STATUSES: [&str; 5] = ["ACTIVE", "INACTIVE", "GRADUATED", "SUSPENDED", "DROPPED"];
const GENDERS: [&str; 3] = ["M", "F", "O"];

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

/// A student with roll number `roll` and random grouping fields.
fn random_student(rng: &mut SeededRng, roll: &str, departments: &[Uuid]) -> Student {
    let pick = |rng: &mut SeededRng, n: usize| rng.below(n as u64) as usize;
    // One in five has no department: the null group is counted too.
    let department = match pick(rng, departments.len() + 1) {
        0 => None,
        i => Some(departments[i - 1]),
    };
    let extra = json!({
        "status": STATUSES[pick(rng, STATUSES.len())],
        "gender": GENDERS[pick(rng, GENDERS.len())],
        "year_of_study": pick(rng, 4) + 1,
    });
    student(roll, department, extra)
}

/// One writer's run: `ops` random writes on students of its own (so that versions are its
/// to know), concurrently with the other writers on the same counter rows.
async fn writer<B: Backend>(
    students: SqlRepository<Student, B>,
    departments: Vec<Uuid>,
    seed: u64,
    writer: usize,
    ops: usize,
) {
    let mut rng = SeededRng::new(seed ^ (writer as u64).wrapping_mul(0x9E37_79B9));
    let mut mine: Vec<Student> = Vec::new();
    let mut made = 0;
    let mut roll = || {
        made += 1;
        format!("G{writer}-{made:05}")
    };
    for _ in 0..ops {
        match rng.below(10) {
            0..=3 => {
                let one = random_student(&mut rng, &roll(), &departments);
                students.insert(&one).await.expect("insert");
                mine.push(one);
            }
            4 => {
                let batch: Vec<Student> = (0..rng.below(8) + 1)
                    .map(|_| random_student(&mut rng, &roll(), &departments))
                    .collect();
                students
                    .insert_many(&batch, BatchMode::AllOrNothing)
                    .await
                    .expect("bulk insert");
                mine.extend(batch);
            }
            5..=7 if !mine.is_empty() => {
                let i = rng.below(mine.len() as u64) as usize;
                let current = &mine[i];
                let mut moved = random_student(&mut rng, &current.roll_number, &departments);
                moved.meta = current.meta.next();
                students
                    .update(&moved, current.meta.version)
                    .await
                    .expect("update");
                mine[i] = moved;
            }
            8 if !mine.is_empty() => {
                let gone = mine.swap_remove(rng.below(mine.len() as u64) as usize);
                students
                    .delete(gone.meta.id, gone.meta.version)
                    .await
                    .expect("delete");
            }
            9 if mine.len() >= 3 => {
                let rows: Vec<(Uuid, i64)> = (0..3)
                    .map(|_| {
                        let gone = mine.swap_remove(rng.below(mine.len() as u64) as usize);
                        (gone.meta.id, gone.meta.version)
                    })
                    .collect();
                students
                    .delete_many(&rows, BatchMode::AllOrNothing)
                    .await
                    .expect("bulk delete");
            }
            _ => {}
        }
    }
}

/// Statistics of every stats field, with the counts read as `fields` says.
async fn statistics<B: Backend>(students: &SqlRepository<Student, B>) -> GroupCounts {
    let all = ListQuery::new(Student::schema());
    students
        .group_counts(&all, Student::schema().stats, &primary())
        .await
        .expect("statistics")
}

/// Random concurrent writes, then every check of the counts; returns the repository, the
/// statistics and the seed for further checks.
async fn concurrent_writes_keep_the_counts<B: Backend>(
    backend: B,
    writers: usize,
    ops: usize,
) -> (SqlRepository<Student, B>, GroupCounts, u64) {
    let seed = SeededRng::seed_from_env("CAMPUSHUB_TEST_SEED", SEED);
    println!("group counts: seed {seed} (CAMPUSHUB_TEST_SEED={seed} replays it)");
    let departments_repo = SqlRepository::<Department, B>::new(backend.clone());
    let departments: Vec<Department> = (0..4).map(|i| department(&format!("GC{i}"))).collect();
    departments_repo
        .insert_many(&departments, BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let ids: Vec<Uuid> = departments.iter().map(|d| d.meta.id).collect();
    let students = SqlRepository::<Student, B>::new(backend);

    let tasks: Vec<_> = (0..writers)
        .map(|w| tokio::spawn(writer(students.clone(), ids.clone(), seed, w, ops)))
        .collect();
    for task in tasks {
        task.await.expect("writer");
    }

    let mismatches = students.verify_group_counts().await.expect("verify");
    assert!(mismatches.is_empty(), "seed {seed}: {mismatches:#?}");
    let mismatches = departments_repo
        .verify_group_counts()
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "seed {seed}: {mismatches:#?}");

    // What the statistics route reads (the kept counts) is what the rows say.
    let kept = statistics(&students).await;
    let mut narrowed = ListQuery::new(Student::schema());
    narrowed.search = Some("a".into()); // every fixture's name has one: a scan, all rows.
    let scanned = students
        .group_counts(&narrowed, Student::schema().stats, &primary())
        .await
        .expect("scanned statistics");
    assert!(kept.total > 0, "seed {seed}: the run left students");
    assert_eq!(
        (kept.total, &kept.groups),
        (scanned.total, &scanned.groups),
        "seed {seed}"
    );
    filtered_statistics_agree(&students, &kept, &primary(), seed).await;
    (students, kept, seed)
}

/// A group's value as text, the null group as `null`.
fn key(value: &Option<Scalar>) -> String {
    value
        .as_ref()
        .map_or_else(|| "null".to_owned(), |v| v.to_json().to_string())
}

/// Per field, each value's count.
type Sums = BTreeMap<&'static str, BTreeMap<String, u64>>;

fn sums(counts: &GroupCounts) -> Sums {
    let mut sums = Sums::new();
    add(&mut sums, counts);
    sums
}

fn add(sums: &mut Sums, counts: &GroupCounts) {
    for (field, groups) in &counts.groups {
        let field = sums.entry(field).or_default();
        for (value, n) in groups {
            *field.entry(key(value)).or_default() += n;
        }
    }
}

/// Statistics filtered on each status and on each department (counted from the rows, through
/// the statistics index) agree with the unfiltered ones (from the kept counts): a filtered
/// total is its group's count, and the filtered groups of every value sum to the unfiltered
/// groups.
async fn filtered_statistics_agree<B: Backend>(
    students: &SqlRepository<Student, B>,
    kept: &GroupCounts,
    read: &ReadOptions,
    seed: u64,
) {
    let schema = Student::schema();
    for field in ["status", "department_id"] {
        let (_, values) = kept
            .groups
            .iter()
            .find(|(name, _)| *name == field)
            .expect("a statistics field");
        let mut summed = Sums::new();
        for (value, n) in values {
            let query = match value.as_ref().map(Scalar::to_json) {
                Some(Value::String(text)) => {
                    ListQuery::parse_filters(schema, [(field, text.as_str())], &[])
                }
                Some(other) => {
                    ListQuery::parse_filters(schema, [(field, other.to_string().as_str())], &[])
                }
                None => {
                    let isnull = format!("{field}__isnull");
                    ListQuery::parse_filters(schema, [(isnull.as_str(), "true")], &[])
                }
            }
            .expect("a filter");
            let filtered = students
                .group_counts(&query, schema.stats, read)
                .await
                .expect("filtered statistics");
            assert_eq!(filtered.total, *n, "seed {seed}: {field}={}", key(value));
            add(&mut summed, &filtered);
        }
        assert_eq!(
            summed,
            sums(kept),
            "seed {seed}: groups summed over {field}"
        );
    }
}

/// On Postgres the writes go through a router with a replica and an analytics pool on it:
/// once the replica has replayed them, the statistics read through the analytics pool (the
/// kept counts, and the filtered ones counted from the rows) are the primary's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_concurrent_writes_keep_the_counts() {
    let db = TestDb::shared().await;
    // Two routers (two instances) fold every 10 ms, concurrently with the writers and with
    // each other: a delta is folded once.
    let second = db
        .router(|config| config.with_fold_interval(Some(Duration::from_millis(10))))
        .await;
    let router = db
        .router(|config| {
            config
                .with_analytics(db.replica.clone())
                .with_fold_interval(Some(Duration::from_millis(10)))
        })
        .await;
    let (students, kept, seed) = concurrent_writes_keep_the_counts(router.clone(), 6, 60).await;
    // A last fold moves what is left; the counts read the same, and no delta remains.
    drop(second);
    router.fold_counts().await.expect("fold");
    assert_eq!(statistics(&students).await, kept, "seed {seed}: folded");
    let mismatches = students.verify_group_counts().await.expect("verify");
    assert!(mismatches.is_empty(), "seed {seed}: {mismatches:#?}");
    let mut connection = sqlx::PgConnection::connect(&db.primary)
        .await
        .expect("connect");
    let deltas: i64 = sqlx::query_scalar("SELECT count(*) FROM campushub_count_deltas")
        .fetch_one(&mut connection)
        .await
        .expect("deltas");
    assert_eq!(deltas, 0, "seed {seed}: every delta folded");
    db.sync().await;
    let analytics = ReadOptions::default().on(ReadRoute::Analytics);
    let all = ListQuery::new(Student::schema());
    let replayed = students
        .group_counts(&all, Student::schema().stats, &analytics)
        .await
        .expect("statistics on the analytics pool");
    assert_eq!(
        (replayed.total, &replayed.groups),
        (kept.total, &kept.groups),
        "seed {seed}"
    );
    filtered_statistics_agree(&students, &kept, &analytics, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_writes_keep_the_counts() {
    let file = SqliteFile::new("counts");
    concurrent_writes_keep_the_counts(file.migrated_store().await, 3, 60).await;
}

/// A count the triggers did not write (a lost update, a row changed by hand with the
/// triggers off) is reported, with the value and both figures.
#[tokio::test]
async fn a_count_that_differs_from_the_rows_is_reported() {
    let store = SqliteStore::memory().await.expect("sqlite");
    let students = SqlRepository::<Student, _>::new(store.clone());
    let one = student("V-001", None, json!({ "status": "ACTIVE" }));
    students.insert(&one).await.expect("insert");
    assert_eq!(
        students.verify_group_counts().await.expect("verify"),
        vec![]
    );

    sqlx::query(
        "UPDATE campushub_group_counts SET n = n + 2 \
         WHERE tbl = 'students' AND field = 'status' AND value = '\"ACTIVE\"'",
    )
    .execute(store.pool())
    .await
    .expect("tamper");
    let mismatches = students.verify_group_counts().await.expect("verify");
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    let mismatch = &mismatches[0];
    assert_eq!(
        (
            mismatch.grouping.as_str(),
            mismatch.value.as_str(),
            mismatch.rows,
            mismatch.kept
        ),
        ("status", "\"ACTIVE\"", 1, 3)
    );
}

/// Counter pages keep 90 % of their space free, so that an access prunes the dead versions
/// of the counters' in-place updates before their chains grow (migration 0007; measured in
/// `docs/performance.md`).
#[tokio::test]
async fn pg_counter_pages_are_kept_mostly_free() {
    let db = TestDb::shared().await;
    let mut connection = sqlx::PgConnection::connect(&db.primary)
        .await
        .expect("connect");
    let options: Option<Vec<String>> = sqlx::query_scalar(
        "SELECT reloptions FROM pg_class WHERE oid = 'campushub_group_counts'::regclass",
    )
    .fetch_one(&mut connection)
    .await
    .expect("reloptions");
    assert_eq!(options, Some(vec!["fillfactor=10".to_owned()]));
}

/// `campushub_keep_counts` on a table of an application's own: the rows already there are
/// counted, later inserts, updates (one moving a row between groups) and deletes append their
/// deltas, and after a fold the counter rows alone say what the rows say.
#[tokio::test]
async fn pg_a_table_of_ones_own_keeps_its_counts() {
    let db = TestDb::shared().await;
    let router = db.router(|config| config.with_fold_interval(None)).await;
    let mut connection = sqlx::PgConnection::connect(&db.primary)
        .await
        .expect("connect");
    let counts = "SELECT field, value, CAST(sum(n) AS BIGINT) FROM (\
         SELECT field, value, n FROM campushub_group_counts WHERE tbl = 'courses' \
         UNION ALL SELECT field, value, n FROM campushub_count_deltas WHERE tbl = 'courses') k \
         GROUP BY field, value HAVING sum(n) <> 0 ORDER BY field, value";
    let rows = "SELECT 'level', to_jsonb(level)::text, count(*) FROM courses GROUP BY 2 \
         UNION ALL SELECT 'status', to_jsonb(status)::text, count(*) FROM courses GROUP BY 2 \
         ORDER BY 1, 2";
    sqlx::raw_sql(
        "CREATE TABLE courses (id int PRIMARY KEY, status text, level bigint); \
         INSERT INTO courses SELECT i, CASE WHEN i % 3 = 0 THEN 'OPEN' ELSE 'CLOSED' END, i % 4 \
         FROM generate_series(1, 40) i; \
         SELECT campushub_keep_counts('courses', ARRAY['status', 'level']); \
         INSERT INTO courses SELECT i, 'OPEN', 9 FROM generate_series(41, 45) i; \
         UPDATE courses SET status = 'ARCHIVED' WHERE id <= 10; \
         UPDATE courses SET level = level WHERE id > 40; \
         DELETE FROM courses WHERE id BETWEEN 20 AND 24;",
    )
    .execute(&mut connection)
    .await
    .expect("a table of one's own");
    let expected: Vec<(String, String, i64)> = sqlx::query_as(rows)
        .fetch_all(&mut connection)
        .await
        .expect("counted rows");
    assert!(expected.len() > 5, "{expected:?}");
    let kept: Vec<(String, String, i64)> = sqlx::query_as(counts)
        .fetch_all(&mut connection)
        .await
        .expect("kept counts");
    assert_eq!(kept, expected, "before a fold");
    assert!(router.fold_counts().await.expect("fold") > 0);
    let folded: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT field, value, CAST(sum(n) AS BIGINT) FROM campushub_group_counts \
         WHERE tbl = 'courses' GROUP BY field, value HAVING sum(n) <> 0 ORDER BY field, value",
    )
    .fetch_all(&mut connection)
    .await
    .expect("counter rows");
    assert_eq!(folded, expected, "the counter rows alone, after a fold");
}
