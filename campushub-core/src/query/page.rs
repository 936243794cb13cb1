//! A page of results and the cursors around it.

use serde::{Deserialize, Serialize};

use super::{CursorCodec, Keyset, ListQuery, Pagination};
use crate::entity::Entity;

/// How to ask for a neighbouring page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageLink {
    /// Keyset pages: the `cursor=` value.
    Cursor(String),
    /// Page-number pages: the `page=` value.
    Number(u32),
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows, in the query's order.
    pub items: Vec<T>,
    /// The next page, if there is one.
    pub next: Option<PageLink>,
    /// The previous page, if there is one.
    pub previous: Option<PageLink>,
    /// Total matching rows (page-number pages only); a lower bound when `count_exact` is
    /// false.
    pub count: Option<u64>,
    /// `false` when `count` is a lower bound: the count stopped at the service's cap
    /// ([`EntityServiceBuilder::count_cap`](crate::service::EntityServiceBuilder::count_cap))
    /// and at least `count` rows match. `true` for exact counts and for cursor pages.
    pub count_exact: bool,
}

/// What a store's count says about a page-number page's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// Matching rows, or the bound the count stopped at.
    pub count: u64,
    /// `false`: more rows than `count` match.
    pub exact: bool,
}

impl Total {
    /// A count of every matching row.
    pub fn exact(count: u64) -> Total {
        Total { count, exact: true }
    }

    /// A count that stopped at `count`: more rows match.
    pub fn more_than(count: u64) -> Total {
        Total {
            count,
            exact: false,
        }
    }

    /// The total that a count capped at `cap` means. The store counted no further than
    /// `cap + 1` ([`crate::Repository::count_at_most`]): `counted` above `cap` says more
    /// than `cap` rows match. Without a cap the count is exact.
    pub fn capped(counted: u64, cap: Option<u64>) -> Total {
        match cap {
            Some(cap) if counted > cap => Total::more_than(cap),
            _ => Total::exact(counted),
        }
    }
}

impl<T> Page<T> {
    /// The same page with every item transformed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            previous: self.previous,
            count: self.count,
            count_exact: self.count_exact,
        }
    }
}

/// Builds the page for `query` from the rows a store fetched (at most [`ListQuery::limit`],
/// in walk order: reversed for a backwards cursor) and, for page-number pages, the count.
///
/// Page-number pages: `next` links the following page when the store returned a row beyond
/// the page (the limit asks for one) or the count says more rows follow. A count that is a
/// lower bound ([`Total::more_than`]) is raised to the rows this page proves exist, and
/// becomes exact on the last page, whose end is the total.
///
/// Keyset pages: `next` is a cursor after the last item when more rows follow; `previous` a
/// backwards cursor before the first item when the request had a position. A record whose
/// ordering value is null (orderable fields never are) ends the walk there: no link is made
/// from it.
pub fn paginate<E: Entity>(
    query: &ListQuery,
    rows: Vec<E>,
    count: Option<Total>,
    cursors: &CursorCodec,
) -> Page<E> {
    match &query.pagination {
        Pagination::Number(number) => number_page(query, *number, rows, count),
        Pagination::Cursor(position) => {
            let backwards = position.as_ref().is_some_and(|p| p.backwards);
            let link = |item: Option<&E>, backwards: bool| {
                item.and_then(|item| cursor_at(query, item, backwards, cursors))
            };
            let page_size = usize::try_from(query.page_size).unwrap_or(usize::MAX);
            let has_more = rows.len() > page_size;
            let mut items = rows;
            items.truncate(page_size);
            if backwards {
                items.reverse();
            }
            // Walking backwards, the rows after this page are the ones the walk came from, and
            // the extra row fetched says whether any lie before; forwards, the other way round.
            let more_after = backwards || has_more;
            let more_before = if backwards {
                has_more
            } else {
                position.is_some()
            };
            Page {
                next: more_after.then(|| link(items.last(), false)).flatten(),
                previous: more_before.then(|| link(items.first(), true)).flatten(),
                items,
                count: None,
                count_exact: true,
            }
        }
    }
}

/// A page-number page: links to the neighbouring page numbers that hold rows.
fn number_page<E>(query: &ListQuery, number: u32, rows: Vec<E>, count: Option<Total>) -> Page<E> {
    let page_size = usize::try_from(query.page_size).unwrap_or(usize::MAX);
    let has_more = rows.len() > page_size;
    let mut items = rows;
    items.truncate(page_size);
    // The rows this page proves exist: all before it, its own, and one more if fetched.
    let proven =
        (!items.is_empty()).then(|| query.offset() + items.len() as u64 + u64::from(has_more));
    let total = match count {
        Some(total) if total.exact => total,
        // A bounded count on the last page: the page's end is the total.
        Some(_) if !has_more && (proven.is_some() || number == 1) => {
            Total::exact(proven.unwrap_or(0))
        }
        Some(bound) => Total::more_than(bound.count.max(proven.unwrap_or(0))),
        // No count: what the page shows (callers outside a service).
        None => Total {
            count: query.offset() + items.len() as u64 + u64::from(has_more),
            exact: !has_more,
        },
    };
    let seen = query.offset() + u64::from(query.page_size);
    Page {
        next: (has_more || seen < total.count)
            .then(|| number.checked_add(1).map(PageLink::Number))
            .flatten(),
        previous: (number > 1).then(|| PageLink::Number(number - 1)),
        items,
        count: Some(total.count),
        count_exact: total.exact,
    }
}

/// The cursor positioned at `item`, walking forwards or backwards from it.
fn cursor_at<E: Entity>(
    query: &ListQuery,
    item: &E,
    backwards: bool,
    cursors: &CursorCodec,
) -> Option<PageLink> {
    let position = keyset_at(query, item, backwards)?;
    Some(PageLink::Cursor(
        cursors.encode(&query.ordering_text(), &position),
    ))
}

/// The keyset position of `item` in `query`'s ordering (`None` when the record lacks an
/// ordering field): where the page after it (or, `backwards`, before it) starts.
pub fn keyset_at<E: Entity>(query: &ListQuery, item: &E, backwards: bool) -> Option<Keyset> {
    let values = query
        .ordering
        .iter()
        .map(|key| item.field(key.field.name))
        .collect::<Option<Vec<_>>>()?;
    Some(Keyset {
        backwards,
        values,
        id: item.meta().id,
    })
}
