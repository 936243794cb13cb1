//! The reference semantics of `ListQuery::matches`, `compare` and `is_past_position`.
#![cfg(feature = "conformance")]

use std::cmp::Ordering;

use campushub_core::conformance::data::{create, student_custom_fields, student_input};
use campushub_core::query::{CursorCodec, Keyset, Pagination};
use campushub_core::{Entity, ListQuery, Scalar, Student};
use serde_json::json;

fn query(params: &[(&str, &str)]) -> ListQuery {
    ListQuery::parse(
        Student::schema(),
        params.iter().copied(),
        &student_custom_fields(),
        &CursorCodec::new("k"),
    )
    .unwrap()
}

fn student(roll: &str, last_name: &str, year: i32) -> Student {
    let mut input = student_input(roll);
    input.person.last_name = last_name.into();
    input.year_of_study = year;
    create(input)
}

/// Asserts, for each `(parameter, value, expected)`, whether `student` matches the filter.
fn check(student: &Student, cases: &[(&str, &str, bool)]) {
    for (key, value, expected) in cases {
        let matched = query(&[(key, value)]).matches(student);
        assert_eq!(matched, *expected, "{key}={value}");
    }
}

#[test]
fn text_operators() {
    check(
        &student("R1", "McAllister", 2),
        &[
            ("last_name__icontains", "mcal", true),
            ("last_name__startswith", "McA", true),
            ("last_name__startswith", "mca", false),
            ("last_name", "McAllister", true),
            ("last_name", "mcallister", false),
        ],
    );
}

#[test]
fn ranges_and_membership() {
    check(
        &student("R1", "X", 3),
        &[
            ("year_of_study__gte", "3", true),
            ("year_of_study__gt", "3", false),
            ("year_of_study__lte", "3", true),
            ("year_of_study__lt", "3", false),
            ("year_of_study__in", "1,3", true),
            ("year_of_study__in", "1,2", false),
        ],
    );
}

#[test]
fn nulls_match_only_isnull_true() {
    check(
        &student("R1", "X", 1),
        &[
            ("middle_name__isnull", "true", true),
            ("middle_name__isnull", "false", false),
            ("middle_name", "A", false),
            ("cf.credits__lt", "100", false),
            ("cf.credits__isnull", "true", true),
        ],
    );
}

#[test]
fn search_is_case_insensitive_over_search_fields() {
    let s = student("CS-2024-001", "Okafor", 1);
    assert!(query(&[("search", "okaf")]).matches(&s));
    assert!(query(&[("search", "cs-2024")]).matches(&s));
    assert!(
        !query(&[("search", "B.Tech")]).matches(&s),
        "program is not searched"
    );
}

#[test]
fn custom_fields() {
    let mut s = student("R1", "X", 1);
    s.custom_fields = json!({
        "nickname": "Bobby", "credits": 18, "hostel": true, "blood_group": "O+",
        "clubs": ["chess", "drama"], "scholarship_on": "2024-03-01"
    })
    .as_object()
    .unwrap()
    .clone();
    check(
        &s,
        &[
            ("cf.nickname__icontains", "BOB", true),
            ("cf.credits__gte", "18", true),
            ("cf.credits__gt", "18", false),
            ("cf.credits", "18.0", true),
            ("cf.hostel", "false", false),
            ("cf.blood_group__in", "A+,O+", true),
            ("cf.clubs", "drama", true),
            ("cf.clubs", "music", false),
            ("cf.clubs__in", "music,chess", true),
            ("cf.scholarship_on__lt", "2024-03-02", true),
            ("cf.clubs__isnull", "false", true),
        ],
    );
}

#[test]
fn compare_uses_keys_then_id_in_the_last_direction() {
    let a = student("R1", "Same", 1);
    let b = student("R2", "Same", 1);
    let (low, high) = if a.meta.id < b.meta.id {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert_eq!(
        query(&[("ordering", "last_name")]).compare(low, high),
        Ordering::Less
    );
    assert_eq!(
        query(&[("ordering", "-last_name")]).compare(low, high),
        Ordering::Greater
    );
    let lower = student("R4", "adams", 1);
    let upper = student("R5", "Zed", 1);
    let by_name = query(&[("ordering", "last_name")]);
    assert_eq!(
        by_name.compare(&upper, &lower),
        Ordering::Less,
        "byte order"
    );
    let c = student("R3", "Alpha", 5);
    let by_year_then_name = query(&[("ordering", "-year_of_study,last_name")]);
    assert_eq!(by_year_then_name.compare(&c, &a), Ordering::Less);
}

#[test]
fn position_filters_the_walk_in_both_directions() {
    let rows: Vec<Student> = (1..=3).map(|y| student(&format!("R{y}"), "X", y)).collect();
    let mut q = query(&[("ordering", "year_of_study")]);
    let at = |backwards| Keyset {
        backwards,
        values: vec![Scalar::Int(2)],
        id: rows[1].meta.id,
    };
    q.pagination = Pagination::Cursor(Some(at(false)));
    let after: Vec<bool> = rows.iter().map(|r| q.is_past_position(r)).collect();
    assert_eq!(after, [false, false, true]);
    q.pagination = Pagination::Cursor(Some(at(true)));
    let before: Vec<bool> = rows.iter().map(|r| q.is_past_position(r)).collect();
    assert_eq!(before, [true, false, false]);
    q.pagination = Pagination::Cursor(None);
    assert!(rows.iter().all(|r| q.is_past_position(r)));
}
