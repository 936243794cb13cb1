//! Filters, search, byte-order ordering and keyset walks, on both backends.

use campushub_core::query::{Filter, FilterField, FilterValue, Keyset, Op, OrderKey, Pagination};
use campushub_core::{
    CustomFieldType, Entity, ListQuery, ReadOptions, ReadRoute, Repository, Scalar, Student,
};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use serde_json::json;

use crate::support::fixtures::student;
use crate::support::pgdb::TestDb;

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

fn spec(name: &str) -> &'static campushub_core::FieldSpec {
    Student::schema().field(name).expect("a student field")
}

fn on(name: &str, op: Op, value: FilterValue) -> Filter {
    Filter {
        field: FilterField::Schema(spec(name)),
        op,
        value,
    }
}

fn custom(name: &str, field_type: CustomFieldType, op: Op, value: FilterValue) -> Filter {
    Filter {
        field: FilterField::Custom {
            name: name.into(),
            field_type,
        },
        op,
        value,
    }
}

fn one(value: impl Into<Scalar>) -> FilterValue {
    FilterValue::One(value.into())
}

fn seed() -> Vec<Student> {
    let rows = [
        (
            "S01",
            "Zoe",
            "adams",
            None,
            1,
            json!({ "score": 10, "tags": ["a", "b"], "vip": true, "nick": "zed" }),
        ),
        (
            "S02",
            "amy",
            "Baker",
            Some("M"),
            2,
            json!({ "score": 2.5, "tags": ["b"], "vip": false }),
        ),
        (
            "S03",
            "Bob",
            "baker",
            None,
            3,
            json!({ "score": "high", "tags": ["c"] }),
        ),
        ("S04", "50% Sam", "Carter", None, 4, json!({})),
        (
            "S05",
            "under_score",
            "carter",
            None,
            5,
            json!({ "tags": "a" }),
        ),
        ("S06", "Ann", "Baker", None, 2, json!({ "nick": "Zed" })),
    ];
    rows.into_iter()
        .map(|(roll, first, last, middle, year, cf)| {
            student(
                roll,
                None,
                json!({
                    "first_name": first, "last_name": last, "middle_name": middle,
                    "year_of_study": year, "custom_fields": cf,
                }),
            )
        })
        .collect()
}

async fn rolls<B: Backend>(repo: &SqlRepository<Student, B>, query: &ListQuery) -> Vec<String> {
    let mut rolls: Vec<String> = repo
        .list(query, &primary())
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.roll_number)
        .collect();
    rolls.sort();
    rolls
}

async fn filters_and_search<B: Backend>(backend: B) {
    let repo = SqlRepository::<Student, B>::new(backend);
    for row in seed() {
        repo.insert(&row).await.expect("insert");
    }
    let cases: Vec<(Vec<Filter>, Option<&str>, Vec<&str>)> = vec![
        (
            vec![on("last_name", Op::Eq, one("Baker"))],
            None,
            vec!["S02", "S06"],
        ),
        (
            vec![on("last_name", Op::IContains, one("BAK"))],
            None,
            vec!["S02", "S03", "S06"],
        ),
        (
            vec![on("last_name", Op::StartsWith, one("b"))],
            None,
            vec!["S03"],
        ),
        (
            vec![on("first_name", Op::IContains, one("%"))],
            None,
            vec!["S04"],
        ),
        (
            vec![on("first_name", Op::IContains, one("_"))],
            None,
            vec!["S05"],
        ),
        (
            vec![on(
                "year_of_study",
                Op::In,
                FilterValue::Many(vec![2i64.into(), 4i64.into()]),
            )],
            None,
            vec!["S02", "S04", "S06"],
        ),
        (
            vec![on("year_of_study", Op::Gte, one(4i64))],
            None,
            vec!["S04", "S05"],
        ),
        (
            vec![on("middle_name", Op::IsNull, FilterValue::Null(false))],
            None,
            vec!["S02"],
        ),
        // Byte order: uppercase sorts before lowercase.
        (
            vec![on("last_name", Op::Gt, one("Carter"))],
            None,
            vec!["S01", "S03", "S05"],
        ),
        (
            vec![custom("score", CustomFieldType::Number, Op::Gt, one(5i64))],
            None,
            vec!["S01"],
        ),
        (
            vec![custom(
                "tags",
                CustomFieldType::Multiselect,
                Op::Eq,
                one("b"),
            )],
            None,
            vec!["S01", "S02"],
        ),
        (
            vec![custom(
                "tags",
                CustomFieldType::Multiselect,
                Op::In,
                FilterValue::Many(vec!["c".into(), "a".into()]),
            )],
            None,
            vec!["S01", "S03"],
        ),
        (
            vec![custom("vip", CustomFieldType::Boolean, Op::Eq, one(true))],
            None,
            vec!["S01"],
        ),
        (
            vec![custom("nick", CustomFieldType::Text, Op::Eq, one("zed"))],
            None,
            vec!["S01"],
        ),
        (
            vec![custom(
                "nick",
                CustomFieldType::Text,
                Op::IContains,
                one("ZE"),
            )],
            None,
            vec!["S01", "S06"],
        ),
        (
            vec![custom(
                "nick",
                CustomFieldType::Text,
                Op::IsNull,
                FilterValue::Null(true),
            )],
            None,
            vec!["S02", "S03", "S04", "S05"],
        ),
        (vec![], Some("bak"), vec!["S02", "S03", "S06"]),
        (vec![], Some("zoe"), vec!["S01"]),
        (
            vec![on("year_of_study", Op::Lte, one(2i64))],
            Some("BAKER"),
            vec!["S02", "S06"],
        ),
    ];
    for (filters, search, expected) in cases {
        let mut query = ListQuery::new(Student::schema());
        query.filters = filters.clone();
        query.search = search.map(str::to_owned);
        assert_eq!(
            rolls(&repo, &query).await,
            expected,
            "filters {filters:?} search {search:?}"
        );
        assert_eq!(
            repo.count(&query, &primary()).await.expect("count"),
            expected.len() as u64
        );
    }
}

/// Mixed directions: last name ascending, first name descending (id descending last).
fn ordering() -> Vec<OrderKey> {
    vec![
        OrderKey {
            field: spec("last_name"),
            descending: false,
        },
        OrderKey {
            field: spec("first_name"),
            descending: true,
        },
    ]
}

fn position(row: &Student, backwards: bool) -> Keyset {
    Keyset {
        backwards,
        values: vec![
            row.person.last_name.clone().into(),
            row.person.first_name.clone().into(),
        ],
        id: row.meta.id,
    }
}

async fn keyset_walks<B: Backend>(backend: B) {
    let repo = SqlRepository::<Student, B>::new(backend);
    let mut rows = seed();
    // Two rows equal on both keys, so the id tiebreak matters.
    rows.push(student(
        "S07",
        None,
        json!({ "first_name": "Ann", "last_name": "Baker" }),
    ));
    for row in &rows {
        repo.insert(row).await.expect("insert");
    }
    rows.sort_by(|a, b| {
        a.person
            .last_name
            .as_bytes()
            .cmp(b.person.last_name.as_bytes())
            .then(
                b.person
                    .first_name
                    .as_bytes()
                    .cmp(a.person.first_name.as_bytes()),
            )
            .then(b.meta.id.cmp(&a.meta.id))
    });
    let expected: Vec<&str> = rows.iter().map(|s| s.roll_number.as_str()).collect();

    let mut query = ListQuery::new(Student::schema());
    query.ordering = ordering();
    query.page_size = 2;
    let mut walked = Vec::new();
    loop {
        let page = repo.list(&query, &primary()).await.expect("page");
        assert!(page.len() <= 3, "a keyset page fetches page_size + 1 rows");
        let shown: Vec<Student> = page.into_iter().take(2).collect();
        walked.extend(shown.iter().map(|s| s.roll_number.clone()));
        match shown.last() {
            Some(last) if walked.len() < rows.len() => {
                query.pagination = Pagination::Cursor(Some(position(last, false)))
            }
            _ => break,
        }
    }
    assert_eq!(
        walked, expected,
        "a forward walk visits every row once, in order"
    );

    // Backwards from the last row: the rows before it, nearest first.
    let last = rows.last().expect("rows");
    query.pagination = Pagination::Cursor(Some(position(last, true)));
    let back: Vec<String> = repo
        .list(&query, &primary())
        .await
        .expect("back")
        .into_iter()
        .map(|s| s.roll_number)
        .collect();
    let before: Vec<String> = expected
        .iter()
        .rev()
        .skip(1)
        .take(3)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(back, before);

    // Page-number pages skip, and fetch one row more to say whether a next page exists.
    query.pagination = Pagination::Number(2);
    let second: Vec<String> = repo
        .list(&query, &primary())
        .await
        .expect("page 2")
        .into_iter()
        .map(|s| s.roll_number)
        .collect();
    assert_eq!(second, expected[2..5]);
}

#[tokio::test]
async fn sqlite_filters_search_and_custom_fields() {
    filters_and_search(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn sqlite_keyset_walks_mixed_directions() {
    keyset_walks(SqliteStore::memory().await.expect("sqlite")).await;
}

#[tokio::test]
async fn pg_filters_search_and_custom_fields() {
    let db = TestDb::shared().await;
    filters_and_search(db.primary_router().await).await;
}

#[tokio::test]
async fn pg_keyset_walks_mixed_directions() {
    let db = TestDb::shared().await;
    keyset_walks(db.primary_router().await).await;
}
