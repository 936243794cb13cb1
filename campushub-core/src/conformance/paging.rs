//! Cases: keyset walks (forwards, backwards, with ties, with inserts during the walk) and
//! page-number pages.

use std::collections::HashSet;

use chrono::Duration;
use uuid::Uuid;

use super::data::{create, created_at, date, student_input};
use super::support::{cursor, page, query, walk_forward};
use super::Fixture;
use crate::entities::Student;
use crate::query::PageLink;

/// Rows the walks cover, and the page size they use (so pages end mid-way).
pub(super) const ROWS: usize = 30;
pub(super) const PAGE_SIZE: &str = "7";

/// Inserts [`ROWS`] students created three to a second (ties on `created_at`) with years
/// 1..=5 (ties on `year_of_study`); returns them.
pub(super) async fn thirty(f: &Fixture) -> Vec<Student> {
    let epoch = date(2024, 1, 1)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let mut students = Vec::new();
    for i in 0..ROWS {
        let mut input = student_input(&format!("W{i:02}"));
        input.year_of_study = i32::try_from(i % 5).unwrap_or(0) + 1;
        let at = epoch + Duration::seconds(i64::try_from(i / 3).unwrap_or(0));
        let student = created_at(create(input), at);
        f.students.insert(&student).await.expect("insert");
        students.push(student);
    }
    students
}

/// The ids of `students` in the order `params` define (the reference semantics).
pub(super) fn expected(students: &[Student], params: &[(&str, &str)]) -> Vec<Uuid> {
    let query = query::<Student>(params, &[]);
    let mut sorted: Vec<&Student> = students.iter().collect();
    sorted.sort_by(|a, b| query.compare(*a, *b));
    sorted.iter().map(|s| s.meta.id).collect()
}

/// Walks `params` and checks the pages are full but the last and concatenate to the order.
async fn walks_in_order(f: &Fixture, params: &[(&str, &str)]) {
    let students = thirty(f).await;
    let pages = walk_forward(&*f.students, params).await;
    assert_eq!(pages.len(), ROWS.div_ceil(7), "page count");
    assert!(
        pages.iter().rev().skip(1).all(|p| p.len() == 7),
        "full pages"
    );
    let walked: Vec<Uuid> = pages.concat();
    assert_eq!(
        walked,
        expected(&students, params),
        "every row once, in order"
    );
}

/// A cursor walk over the default ordering (with ties on `created_at`) visits every row
/// once, in order.
pub async fn cursor_walk_default_ordering(f: Fixture) {
    walks_in_order(&f, &[("page_size", PAGE_SIZE)]).await;
}

/// A cursor walk over a key with many ties (`year_of_study`) neither repeats nor skips.
pub async fn cursor_walk_with_ties(f: Fixture) {
    walks_in_order(
        &f,
        &[("page_size", PAGE_SIZE), ("ordering", "year_of_study")],
    )
    .await;
}

/// A cursor walk over several keys, mixed directions, visits every row once, in order.
pub async fn cursor_walk_multi_key(f: Fixture) {
    let params = [
        ("page_size", PAGE_SIZE),
        ("ordering", "-year_of_study,roll_number"),
    ];
    walks_in_order(&f, &params).await;
}

/// Rows inserted during a walk (before and after its position) never make it repeat or
/// skip a row that existed when it started.
pub async fn cursor_walk_with_inserts(f: Fixture) {
    let students = thirty(&f).await;
    let params = [("page_size", PAGE_SIZE), ("ordering", "year_of_study")];
    let mut seen: Vec<Uuid> = Vec::new();
    let mut next: Option<String> = None;
    for round in 0..100 {
        let page = page::<Student>(&*f.students, &params, &[], next.as_deref()).await;
        seen.extend(page.items.iter().map(|s| s.meta.id));
        for year in [1, 3, 5] {
            let mut input = student_input(&format!("N{round:02}-{year}"));
            input.year_of_study = year;
            f.students
                .insert(&create(input))
                .await
                .expect("insert during walk");
        }
        next = cursor(page.next);
        if next.is_none() {
            break;
        }
    }
    let unique: HashSet<&Uuid> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row is seen twice");
    for student in &students {
        assert!(
            seen.contains(&student.meta.id),
            "{} was skipped",
            student.roll_number
        );
    }
}

/// Following `previous` from the last page walks back through the same pages; the first
/// page has no `previous`.
pub async fn previous_cursor_walks_back(f: Fixture) {
    thirty(&f).await;
    let params = [("page_size", PAGE_SIZE), ("ordering", "-year_of_study")];
    let forward = walk_forward(&*f.students, &params).await;
    let mut link: Option<String> = None;
    let mut last = page::<Student>(&*f.students, &params, &[], None).await;
    assert!(last.previous.is_none(), "the first page has no previous");
    while let Some(next) = cursor(last.next.clone()) {
        link = Some(next);
        last = page::<Student>(&*f.students, &params, &[], link.as_deref()).await;
    }
    assert!(link.is_some(), "the walk has several pages");
    let mut backward = vec![last.items.iter().map(|s| s.meta.id).collect::<Vec<_>>()];
    let mut previous = cursor(last.previous);
    while let Some(text) = previous {
        assert!(backward.len() <= forward.len(), "the walk back ends");
        let page = page::<Student>(&*f.students, &params, &[], Some(&text)).await;
        assert!(page.next.is_some(), "a page before another links forward");
        backward.push(page.items.iter().map(|s| s.meta.id).collect());
        previous = cursor(page.previous);
    }
    backward.reverse();
    assert_eq!(backward, forward);
}

/// Page-number pages carry the total count, link by number, and together hold every row
/// once, in order.
pub async fn page_number_pages(f: Fixture) {
    let students = thirty(&f).await;
    let ordering = [("ordering", "roll_number")];
    let mut walked = Vec::new();
    for number in 1..=5u32 {
        let text = number.to_string();
        let params = [
            ("ordering", "roll_number"),
            ("page", &text),
            ("page_size", PAGE_SIZE),
        ];
        let page = page::<Student>(&*f.students, &params, &[], None).await;
        assert_eq!(page.count, Some(ROWS as u64));
        let previous = (number > 1).then(|| PageLink::Number(number - 1));
        let next = (number < 5).then(|| PageLink::Number(number + 1));
        assert_eq!(
            (page.previous, page.next),
            (previous, next),
            "links of page {number}"
        );
        walked.extend(page.items.iter().map(|s| s.meta.id));
    }
    assert_eq!(walked, expected(&students, &ordering));
}

/// A page number past the end is empty but still counts the rows.
pub async fn page_past_the_end_is_empty(f: Fixture) {
    thirty(&f).await;
    let params = [("page", "9"), ("page_size", PAGE_SIZE)];
    let page = page::<Student>(&*f.students, &params, &[], None).await;
    assert!(page.items.is_empty());
    assert_eq!(page.count, Some(ROWS as u64));
    assert!(page.next.is_none());
}
