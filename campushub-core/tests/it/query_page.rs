//! `paginate`: links of forward, backward and page-number pages.
#![cfg(feature = "conformance")]

use campushub_core::conformance::data::{create, student_input};
use campushub_core::query::{paginate, CursorCodec, Keyset, PageLink, Pagination, Total};
use campushub_core::{Entity, ListQuery, Student};

fn codec() -> CursorCodec {
    CursorCodec::new("page tests")
}

fn query(params: &[(&str, &str)]) -> ListQuery {
    ListQuery::parse(Student::schema(), params.iter().copied(), &[], &codec()).unwrap()
}

fn rows(n: usize) -> Vec<Student> {
    (0..n)
        .map(|i| create(student_input(&format!("R{i:02}"))))
        .collect()
}

fn cursor(link: Option<PageLink>) -> String {
    match link {
        Some(PageLink::Cursor(text)) => text,
        other => panic!("expected a cursor, got {other:?}"),
    }
}

/// The position a link's cursor holds, read back through `parse` with `ordering`.
fn position(link: Option<PageLink>, ordering: &str) -> Keyset {
    let text = cursor(link);
    let parsed = query(&[("ordering", ordering), ("cursor", &text)]);
    match parsed.pagination {
        Pagination::Cursor(Some(position)) => position,
        other => panic!("expected a position, got {other:?}"),
    }
}

fn ids(rows: &[Student]) -> Vec<uuid::Uuid> {
    rows.iter().map(|r| r.meta.id).collect()
}

#[test]
fn first_page_with_more_rows_links_forward_only() {
    let q = query(&[("page_size", "3"), ("ordering", "roll_number")]);
    let fetched = rows(4);
    let page = paginate(&q, fetched.clone(), None, &codec());
    assert_eq!(ids(&page.items), ids(&fetched[..3]));
    assert!(page.previous.is_none());
    assert!(page.count.is_none());
    let next = position(page.next, "roll_number");
    assert!(!next.backwards);
    assert_eq!(next.id, fetched[2].meta.id);
}

#[test]
fn last_page_has_no_next() {
    let q = query(&[("page_size", "3")]);
    let page = paginate(&q, rows(3), None, &codec());
    assert_eq!(page.items.len(), 3);
    assert!(page.next.is_none());
}

#[test]
fn page_after_a_position_links_back_from_its_first_item() {
    let first = query(&[("page_size", "2"), ("ordering", "roll_number")]);
    let fetched = rows(5);
    let next = cursor(paginate(&first, fetched[..3].to_vec(), None, &codec()).next);
    let second = query(&[
        ("page_size", "2"),
        ("ordering", "roll_number"),
        ("cursor", &next),
    ]);
    let page = paginate(&second, fetched[2..5].to_vec(), None, &codec());
    assert_eq!(ids(&page.items), ids(&fetched[2..4]));
    let previous = position(page.previous, "roll_number");
    assert!(previous.backwards);
    assert_eq!(previous.id, fetched[2].meta.id);
}

#[test]
fn backwards_page_restores_order_and_links_both_ways() {
    let fetched = rows(6);
    let base = query(&[("page_size", "2"), ("ordering", "roll_number")]);
    let mut backwards = base.clone();
    backwards.pagination = Pagination::Cursor(Some(Keyset {
        backwards: true,
        values: vec![fetched[4].roll_number.as_str().into()],
        id: fetched[4].meta.id,
    }));
    // Walk order: nearest first, one extra row says there is more before.
    let walk = vec![fetched[3].clone(), fetched[2].clone(), fetched[1].clone()];
    let page = paginate(&backwards, walk, None, &codec());
    assert_eq!(ids(&page.items), ids(&fetched[2..4]));
    assert!(page.previous.is_some());
    assert!(page.next.is_some());
    let at_start = paginate(
        &backwards,
        vec![fetched[1].clone(), fetched[0].clone()],
        None,
        &codec(),
    );
    assert_eq!(ids(&at_start.items), ids(&fetched[0..2]));
    assert!(at_start.previous.is_none());
}

#[test]
fn number_pages_link_by_number_and_carry_the_count() {
    let q = query(&[("page", "2"), ("page_size", "3")]);
    let page = paginate(&q, rows(3), Some(Total::exact(10)), &codec());
    assert_eq!(page.count, Some(10));
    assert_eq!(page.next, Some(PageLink::Number(3)));
    assert_eq!(page.previous, Some(PageLink::Number(1)));
    let last = query(&[("page", "4"), ("page_size", "3")]);
    let page = paginate(&last, rows(1), Some(Total::exact(10)), &codec());
    assert_eq!(page.next, None);
    assert_eq!(page.previous, Some(PageLink::Number(3)));
    let first = query(&[("page", "1"), ("page_size", "3")]);
    assert_eq!(
        paginate(&first, rows(3), Some(Total::exact(3)), &codec()).next,
        None
    );
}

#[test]
fn a_capped_count_is_a_lower_bound_until_the_last_page() {
    // 4 rows on page 5 of 3 (offset 12): the extra row says more follow the cap of 10.
    let deep = query(&[("page", "5"), ("page_size", "3")]);
    let page = paginate(&deep, rows(4), Some(Total::more_than(10)), &codec());
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.next, Some(PageLink::Number(6)));
    assert_eq!((page.count, page.count_exact), (Some(16), false));
    // Within the cap the cap is the bound.
    let early = query(&[("page", "1"), ("page_size", "3")]);
    let page = paginate(&early, rows(4), Some(Total::more_than(10)), &codec());
    assert_eq!(page.next, Some(PageLink::Number(2)));
    assert_eq!((page.count, page.count_exact), (Some(10), false));
    // The last page: its end is the total.
    let last = query(&[("page", "6"), ("page_size", "3")]);
    let page = paginate(&last, rows(2), Some(Total::more_than(10)), &codec());
    assert_eq!(page.next, None);
    assert_eq!((page.count, page.count_exact), (Some(17), true));
}
