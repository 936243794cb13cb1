//! Lists and statistics through the service: both pagination modes, filters, the cached
//! page representation, and cache use counted by a map cache.
#![cfg(feature = "memory")]

use campushub_core::query::PageLink;
use campushub_core::{ReadOptions, Student};
use serde_json::{json, Map, Value};

use crate::support::service::{admin, student_body, with, with_role, Campus};
use crate::support::{field_errors, only, rule_errors};

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn rolls(rows: &[Student]) -> Vec<String> {
    rows.iter().map(|s| s.roll_number.clone()).collect()
}

#[tokio::test]
async fn cursor_pages_walk_every_row_once() {
    let campus = Campus::new();
    for i in 0..5 {
        campus.student(&format!("R{i}")).await;
    }
    let read = ReadOptions::default();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut query = params(&[("page_size", "2"), ("ordering", "roll_number")]);
        if let Some(cursor) = &cursor {
            query.push(("cursor".into(), cursor.clone()));
        }
        let page = campus
            .students
            .list(&admin(), &query, &read)
            .await
            .expect("page");
        assert_eq!(page.count, None, "cursor pages carry no count");
        seen.extend(rolls(&page.results.value().expect("rows")));
        match page.next {
            Some(PageLink::Cursor(next)) => cursor = Some(next),
            None => break,
            Some(other) => panic!("unexpected link {other:?}"),
        }
    }
    assert_eq!(seen, ["R0", "R1", "R2", "R3", "R4"]);
}

#[tokio::test]
async fn page_number_pages_carry_a_count_and_the_rows_json() {
    let campus = Campus::new();
    for i in 0..5 {
        campus.student(&format!("R{i}")).await;
    }
    let query = params(&[
        ("page", "2"),
        ("page_size", "2"),
        ("ordering", "roll_number"),
    ]);
    let page = campus
        .students
        .list(&admin(), &query, &ReadOptions::default())
        .await
        .expect("page");
    assert_eq!(page.count, Some(5));
    assert_eq!(page.next, Some(PageLink::Number(3)));
    assert_eq!(page.previous, Some(PageLink::Number(1)));
    let rows: Value = serde_json::from_slice(page.results.json()).expect("a JSON array");
    let rolls: Vec<_> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|row| row["roll_number"].clone())
        .collect();
    assert_eq!(rolls, [json!("R2"), json!("R3")]);
}

#[tokio::test]
async fn filters_and_custom_field_filters_apply() {
    let campus = Campus::new();
    campus
        .define(json!({"entity": "student", "name": "hostel", "field_type": "boolean"}))
        .await;
    for (roll, year, hostel) in [("A", 1, true), ("B", 2, false), ("C", 2, true)] {
        let body = with(student_body(roll), "year_of_study", json!(year));
        let body = with(body, "custom_fields", json!({"hostel": hostel}));
        campus
            .students
            .create_json(&admin(), body)
            .await
            .expect("created");
    }
    let read = ReadOptions::default();
    let query = params(&[("year_of_study", "2"), ("cf.hostel", "true")]);
    let page = campus
        .students
        .list(&admin(), &query, &read)
        .await
        .expect("page");
    assert_eq!(rolls(&page.results.value().expect("rows")), ["C"]);
    let errors = field_errors(
        campus
            .students
            .list(&admin(), &params(&[("colour", "red")]), &read)
            .await,
    );
    assert!(errors.contains("colour"));
    // A `cf.` filter naming no definition in force is like a reference to a missing record.
    let errors = rule_errors(
        campus
            .students
            .list(&admin(), &params(&[("cf.nope", "1")]), &read)
            .await,
    );
    assert!(errors.contains("cf.nope"), "{errors}");
}

#[tokio::test]
async fn retrieve_twice_loads_once() {
    let campus = Campus::new();
    let student = campus.student("R1").await;
    let read = ReadOptions::default();
    let first = campus
        .students
        .retrieve(&admin(), student.meta.id, &read)
        .await
        .expect("found");
    let loads = campus.cache.loads();
    let second = campus
        .students
        .retrieve(&admin(), student.meta.id, &read)
        .await
        .expect("found");
    assert_eq!(campus.cache.loads(), loads, "the second read is a hit");
    assert_eq!(campus.cache.hits(), 1);
    assert_eq!(first.json(), second.json());
    assert_eq!(second.value().expect("decoded").roll_number, "R1");
}

#[tokio::test]
async fn list_pages_are_cached_until_a_write_of_the_kind() {
    let campus = Campus::new();
    campus.student("R1").await;
    let read = ReadOptions::default();
    let query = params(&[("ordering", "roll_number")]);
    campus
        .students
        .list(&admin(), &query, &read)
        .await
        .expect("page");
    let loads = campus.cache.loads();
    let cached = campus
        .students
        .list(&admin(), &query, &read)
        .await
        .expect("page");
    assert_eq!(campus.cache.loads(), loads, "hit");
    assert_eq!(rolls(&cached.results.value().expect("rows")), ["R1"]);
    campus.student("R2").await;
    let fresh = campus
        .students
        .list(&admin(), &query, &read)
        .await
        .expect("page");
    assert_eq!(
        campus.cache.loads(),
        loads + 1,
        "the create invalidated the page"
    );
    assert_eq!(rolls(&fresh.results.value().expect("rows")), ["R1", "R2"]);
}

#[tokio::test]
async fn a_department_write_invalidates_student_pages() {
    let campus = Campus::new();
    campus.student("R1").await;
    let read = ReadOptions::default();
    campus
        .students
        .list(&admin(), &[], &read)
        .await
        .expect("page");
    let key_count = campus.cache.loads();
    campus.department("CSE").await;
    campus
        .students
        .list(&admin(), &[], &read)
        .await
        .expect("page");
    assert_eq!(campus.cache.loads(), key_count + 1);
}

#[tokio::test]
async fn statistics_count_by_the_schema_fields() {
    let campus = Campus::new();
    let cse = campus.department("CSE").await;
    for (roll, gender, year, status) in [
        ("A", "F", 1, "ACTIVE"),
        ("B", "M", 2, "ACTIVE"),
        ("C", "F", 2, "GRADUATED"),
    ] {
        let body = with(student_body(roll), "gender", json!(gender));
        let body = with(body, "year_of_study", json!(year));
        let body = with(body, "status", json!(status));
        let body = if roll == "A" {
            with(body, "department_id", json!(cse.meta.id))
        } else {
            body
        };
        campus
            .students
            .create_json(&admin(), body)
            .await
            .expect("created");
    }
    // A registrar may list students: no group is withheld from them.
    let registrar = with_role(campushub_core::Role::REGISTRAR);
    let read = ReadOptions::default();
    let stats = campus
        .students
        .statistics(&registrar, &[], &read)
        .await
        .expect("stats");
    let json = serde_json::to_value(&stats).expect("json");
    let mut by_department = Map::new();
    by_department.insert(cse.meta.id.to_string(), json!(1));
    by_department.insert("null".into(), json!(2));
    assert_eq!(
        json,
        json!({
            "total": 3,
            "by_status": {"ACTIVE": 2, "GRADUATED": 1},
            "by_gender": {"F": 2, "M": 1},
            "by_year_of_study": {"1": 1, "2": 2},
            "by_department": by_department,
        })
    );
    let filtered = campus
        .students
        .statistics(&registrar, &params(&[("gender", "F")]), &read)
        .await
        .expect("stats");
    assert_eq!(filtered.total, 2);
    let errors = field_errors(
        campus
            .students
            .statistics(&registrar, &params(&[("page", "2")]), &read)
            .await,
    );
    assert!(errors.contains("page"));
    let loads = campus.cache.loads();
    campus
        .students
        .statistics(&registrar, &[], &read)
        .await
        .expect("stats");
    assert_eq!(campus.cache.loads(), loads, "statistics are cached");
}

/// Creates `count` active students of year `year` and gender `gender`.
async fn students_of(campus: &Campus, prefix: &str, count: usize, gender: &str, year: i64) {
    for i in 0..count {
        let body = with(
            student_body(&format!("{prefix}{i}")),
            "gender",
            json!(gender),
        );
        let body = with(body, "year_of_study", json!(year));
        let created = campus.students.create_json(&admin(), body).await;
        created.expect("created");
    }
}

#[tokio::test]
async fn statistics_withhold_small_groups_from_callers_who_may_not_list() {
    let campus = Campus::new();
    students_of(&campus, "F", 6, "F", 1).await;
    students_of(&campus, "M", 2, "M", 1).await;
    let analyst = with_role(campushub_core::Role::ANALYST);
    let read = ReadOptions::default();
    let stats = campus.students.statistics(&analyst, &[], &read).await;
    let json = serde_json::to_value(stats.expect("stats")).expect("json");
    assert_eq!(json["total"], 8);
    assert_eq!(json["suppressed_below"], 5);
    assert_eq!(json["by_gender"], json!({"F": 6}), "the 2 men are withheld");
    assert_eq!(json["by_year_of_study"], json!({"1": 8}));
    // A total below the minimum withholds everything.
    let men = params(&[("gender", "M")]);
    let stats = campus.students.statistics(&analyst, &men, &read).await;
    let json = serde_json::to_value(stats.expect("stats")).expect("json");
    assert_eq!(json["total"], 0);
    assert_eq!(json["by_status"], json!({}));
    assert_eq!(json["suppressed_below"], 5);
    // The same query for a registrar, who may list students, withholds nothing.
    let registrar = with_role(campushub_core::Role::REGISTRAR);
    let stats = campus.students.statistics(&registrar, &men, &read).await;
    let json = serde_json::to_value(stats.expect("stats")).expect("json");
    assert_eq!(json["total"], 2);
    assert!(json.get("suppressed_below").is_none());
}

#[tokio::test]
async fn statistics_refuse_identifying_filters_from_callers_who_may_not_list() {
    let campus = Campus::new();
    students_of(&campus, "S", 6, "F", 2).await;
    let analyst = with_role(campushub_core::Role::ANALYST);
    let read = ReadOptions::default();
    for key in [
        "roll_number",
        "date_of_birth__lt",
        "email__startswith",
        "cf.blood_group",
        "search",
        "last_name__icontains",
    ] {
        let result = campus
            .students
            .statistics(&analyst, &params(&[(key, "x")]), &read)
            .await;
        let errors = field_errors(result);
        let message = only(&errors, key);
        assert!(message.contains("filter on status, gender"), "{message}");
    }
    // Grouping fields stay filterable, with their operators.
    for (key, value) in [
        ("gender", "F"),
        ("year_of_study__gte", "2"),
        ("status__in", "ACTIVE"),
    ] {
        let result = campus
            .students
            .statistics(&analyst, &params(&[(key, value)]), &read)
            .await;
        assert_eq!(result.expect(key).total, 6, "{key}");
    }
}

/// A count cap gives the same answer with and without a cache: the cap as a lower bound on
/// early pages, the exact total on the last page, exact counts under the cap.
#[tokio::test]
async fn a_count_cap_bounds_the_count_whether_or_not_a_cache_is_set() {
    use std::sync::Arc;

    use campushub_core::{EntityService, NoCache};

    let campus = Campus::new();
    for i in 0..7 {
        campus.student(&format!("R{i}")).await;
    }
    let repository = Arc::new(campus.store.repository::<Student>());
    let cached = EntityService::builder(repository.clone())
        .cache(campus.cache.clone())
        .count_cap(Some(4))
        .build();
    let uncached = EntityService::builder(repository)
        .cache(Arc::new(NoCache))
        .count_cap(Some(4))
        .build();
    let read = &ReadOptions::default();
    for service in [&cached, &uncached] {
        let page = |number: &str, filter: Option<(&str, &str)>| {
            let mut query = params(&[("page", number), ("page_size", "2")]);
            query.extend(filter.map(|(k, v)| (k.to_owned(), v.to_owned())));
            async move { service.list(&admin(), &query, read).await.expect("page") }
        };
        let first = page("1", None).await;
        assert_eq!((first.count, first.count_exact), (Some(4), false));
        assert_eq!(first.next, Some(PageLink::Number(2)));
        let third = page("3", None).await;
        assert_eq!((third.count, third.count_exact), (Some(7), false));
        assert_eq!(third.next, Some(PageLink::Number(4)));
        let last = page("4", None).await;
        assert_eq!((last.count, last.count_exact), (Some(7), true));
        assert_eq!(last.next, None);
        let few = page("1", Some(("search", "R1"))).await;
        assert_eq!((few.count, few.count_exact), (Some(1), true));
    }
}
