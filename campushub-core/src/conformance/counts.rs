//! Cases: bounded counts (`count_at_most`) and page-number pages whose count stopped at a cap.

use super::paging::{expected, thirty, PAGE_SIZE, ROWS};
use super::seed::people;
use super::support::{capped_page, fresh, query};
use super::Fixture;
use crate::entities::Student;
use crate::query::PageLink;

/// `count_at_most` is `min(count, at_most)`, honouring filters and search.
pub async fn count_at_most_stops_at_the_bound(f: Fixture) {
    let _people = people(&f).await;
    let count = |params: &'static [(&'static str, &'static str)], at_most: u64| {
        let students = f.students.clone();
        async move {
            let query = query::<Student>(params, &[]);
            students
                .count_at_most(&query, at_most, &fresh())
                .await
                .expect("count_at_most")
        }
    };
    let active: &[(&str, &str)] = &[("status", "ACTIVE")];
    assert_eq!(count(active, 2).await, 2, "stops at the bound");
    assert_eq!(count(active, 3).await, 3, "a bound equal to the count");
    assert_eq!(count(active, 100).await, 3, "a bound above the count");
    assert_eq!(count(&[], 4).await, 4);
    assert_eq!(count(&[], 0).await, 0);
    assert_eq!(count(&[("search", "cs00")], 10).await, 2, "search");
    assert_eq!(
        count(&[("gender", "M"), ("status", "GRADUATED")], 5).await,
        0
    );
}

/// With a count cap below the total, page-number pages report the cap as a lower bound (or
/// what the page proves, if more), link `next` exactly, hold every row once, and the last
/// page reports the exact total.
pub async fn capped_count_pages_link_and_end_exactly(f: Fixture) {
    let students = thirty(&f).await;
    let cap = Some(10);
    let pages = ROWS.div_ceil(7) as u32;
    let mut walked = Vec::new();
    for number in 1..=pages {
        let text = number.to_string();
        let params = [
            ("ordering", "roll_number"),
            ("page", &text),
            ("page_size", PAGE_SIZE),
        ];
        let page = capped_page::<Student>(&*f.students, &params, &[], None, cap).await;
        let last = number == pages;
        let next = (!last).then(|| PageLink::Number(number + 1));
        assert_eq!(page.next, next, "next of page {number}");
        if last {
            assert_eq!((page.count, page.count_exact), (Some(ROWS as u64), true));
        } else {
            // The cap, or the rows up to the one after this page if that is more.
            let proven = u64::from(number) * 7 + 1;
            let lower = proven.max(10);
            assert_eq!((page.count, page.count_exact), (Some(lower), false));
        }
        walked.extend(page.items.iter().map(|s| s.meta.id));
    }
    assert_eq!(walked, expected(&students, &[("ordering", "roll_number")]));
    // Past the end: nothing proves more than the cap.
    let params = [("page", "9"), ("page_size", PAGE_SIZE)];
    let past = capped_page::<Student>(&*f.students, &params, &[], None, cap).await;
    assert!(past.items.is_empty() && past.next.is_none());
    assert_eq!((past.count, past.count_exact), (Some(10), false));
}

/// A cap at or above the total changes nothing: the count is exact on every page.
pub async fn cap_at_the_total_counts_exactly(f: Fixture) {
    thirty(&f).await;
    for cap in [ROWS as u64, 1000] {
        let params = [("page", "2"), ("page_size", PAGE_SIZE)];
        let page = capped_page::<Student>(&*f.students, &params, &[], None, Some(cap)).await;
        assert_eq!((page.count, page.count_exact), (Some(ROWS as u64), true));
        assert_eq!(page.next, Some(PageLink::Number(3)));
    }
    // A filter selecting fewer rows than the cap: exact on its first page.
    let params = [("year_of_study", "1"), ("page", "1"), ("page_size", "2")];
    let page = capped_page::<Student>(&*f.students, &params, &[], None, Some(10)).await;
    assert_eq!((page.count, page.count_exact), (Some(6), true));
    assert_eq!(page.next, Some(PageLink::Number(2)));
}
