//! Page-number pages read through a deferred join (keys first, then rows by key) return the
//! rows the plain `ORDER BY … LIMIT … OFFSET …` statement returns, in the same order, on both
//! backends: random filters, searches, orderings (ties included: few distinct values per
//! field, `id` breaking them), page sizes and pages, some past the end.
//!
//! Seeded: `CAMPUSHUB_TEST_SEED` (decimal) replays a run; the seed is printed.

use campushub_core::query::{OrderKey, Pagination};
use campushub_core::{
    BatchMode, Department, Entity, ListQuery, ReadOptions, ReadRoute, Repository, Student,
};
use campushub_sqlx::{Backend, DeferredJoin, SqlRepository, SqliteStore};
use campushub_testkit::SeededRng;
use serde_json::json;
use uuid::Uuid;

use crate::support::fixtures::{department, student};
use crate::support::pgdb::TestDb;

/// Students seeded: enough for pages deep into the table at every page size drawn.
const STUDENTS: usize = 300;
/// Queries compared per backend.
const QUERIES: usize = 120;

/// Filter and search parameters drawn from (each as the API would receive it).
const FILTERS: &[(&str, &str)] = &[
    ("status", "ACTIVE"),
    ("gender", "F"),
    ("year_of_study__gte", "3"),
    ("year_of_study__in", "1,4"),
    ("last_name__startswith", "B"),
    ("middle_name__isnull", "true"),
    ("first_name__icontains", "an"),
    ("search", "a"),
];

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

/// Seeds [`STUDENTS`] students whose fields take few values, so that orderings tie often.
async fn seed_students<B: Backend + Clone>(backend: &B, rng: &mut SeededRng) {
    let departments: Vec<Department> = (0..3).map(|i| department(&format!("D{i}"))).collect();
    SqlRepository::<Department, B>::new(backend.clone())
        .insert_many(&departments, BatchMode::AllOrNothing)
        .await
        .expect("departments");
    let last = ["Baker", "baker", "Adams", "Chen", "Brown", "Zhou"];
    let first = ["Ann", "Dan", "Eve", "Ivan"];
    let statuses = ["ACTIVE", "INACTIVE", "GRADUATED"];
    let genders = ["F", "M", "O"];
    let dates = ["2001-01-01", "2002-06-15", "2003-12-31"];
    let mut pick = |values: &[&'static str]| values[rng.below(values.len() as u64) as usize];
    let rows: Vec<Student> = (0..STUDENTS)
        .map(|i| {
            let middle = (i % 3 == 0).then_some("Q");
            let extra = json!({
                "last_name": pick(&last),
                "first_name": pick(&first),
                "middle_name": middle,
                "status": pick(&statuses),
                "gender": pick(&genders),
                "date_of_birth": pick(&dates),
                "year_of_study": i % 4 + 1,
            });
            student(&format!("R{i:04}"), Some(departments[i % 3].meta.id), extra)
        })
        .collect();
    SqlRepository::<Student, B>::new(backend.clone())
        .insert_many(&rows, BatchMode::AllOrNothing)
        .await
        .expect("students");
}

/// A random query: up to two filters, one to three ordering keys and a page size.
fn random_query(rng: &mut SeededRng) -> ListQuery {
    let mut params = Vec::new();
    for _ in 0..rng.below(3) {
        let filter = FILTERS[rng.below(FILTERS.len() as u64) as usize];
        if !params.iter().any(|(name, _)| *name == filter.0) {
            params.push(filter);
        }
    }
    let mut query =
        ListQuery::parse_filters(Student::schema(), params, &[]).expect("valid filters");
    let orderable: Vec<_> = Student::schema()
        .fields
        .iter()
        .filter(|field| field.orderable && field.name != "id")
        .collect();
    let mut ordering: Vec<OrderKey> = Vec::new();
    for _ in 0..=rng.below(3) {
        let field = orderable[rng.below(orderable.len() as u64) as usize];
        if !ordering.iter().any(|key| key.field.name == field.name) {
            ordering.push(OrderKey {
                field,
                descending: rng.below(2) == 1,
            });
        }
    }
    query.ordering = ordering;
    query.page_size = 1 + rng.below(40) as u32;
    query
}

/// Page 2 up to one past the last page of the `matching` rows.
fn random_page(rng: &mut SeededRng, page_size: u32, matching: u64) -> Pagination {
    let pages = matching.div_ceil(u64::from(page_size));
    Pagination::Number(2 + rng.below(pages.max(1)) as u32)
}

async fn ids<B: Backend>(repo: &SqlRepository<Student, B>, query: &ListQuery) -> Vec<Uuid> {
    repo.list(query, &primary())
        .await
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
        .into_iter()
        .map(|s| s.meta.id)
        .collect()
}

async fn deferred_pages_equal_plain_pages<B: Backend + Clone>(backend: B) {
    let seed = SeededRng::seed_from_env("CAMPUSHUB_TEST_SEED", 0x00ff_5e71);
    println!("seed {seed} (replay with CAMPUSHUB_TEST_SEED={seed})");
    let mut rng = SeededRng::new(seed);
    seed_students(&backend, &mut rng).await;
    let plain =
        SqlRepository::<Student, B>::new(backend.clone()).with_deferred_join(DeferredJoin::Never);
    let deferred =
        SqlRepository::<Student, B>::new(backend).with_deferred_join(DeferredJoin::Always);
    let mut non_empty = 0;
    for _ in 0..QUERIES {
        let mut query = random_query(&mut rng);
        let matching = plain.count(&query, &primary()).await.expect("count");
        query.pagination = random_page(&mut rng, query.page_size, matching);
        let expected = ids(&plain, &query).await;
        assert_eq!(
            ids(&deferred, &query).await,
            expected,
            "seed {seed}: {query:?}"
        );
        non_empty += usize::from(!expected.is_empty());
    }
    // Pages past the end (and second pages of fewer rows than a page) are drawn too, but
    // most pages must hold rows for the comparison to mean anything.
    assert!(
        non_empty > QUERIES / 2,
        "seed {seed}: only {non_empty} of {QUERIES} pages held rows"
    );
}

#[tokio::test]
async fn sqlite_deferred_pages_equal_plain_pages() {
    deferred_pages_equal_plain_pages(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn pg_deferred_pages_equal_plain_pages() {
    let db = TestDb::shared().await;
    deferred_pages_equal_plain_pages(db.primary_router().await).await;
}
