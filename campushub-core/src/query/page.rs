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
    /// Total matching rows (page-number pages only).
    pub count: Option<u64>,
}

impl<T> Page<T> {
    /// The same page with every item transformed.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
            previous: self.previous,
            count: self.count,
        }
    }
}

/// Builds the page for `query` from the rows a store fetched (at most [`ListQuery::limit`],
/// in walk order: reversed for a backwards cursor) and, for page-number pages, the count.
///
/// Keyset pages: `next` is a cursor after the last item when more rows follow; `previous` a
/// backwards cursor before the first item when the request had a position. A record whose
/// ordering value is null (orderable fields never are) ends the walk there: no link is made
/// from it.
pub fn paginate<E: Entity>(
    query: &ListQuery,
    rows: Vec<E>,
    count: Option<u64>,
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
            }
        }
    }
}

/// A page-number page: links to the neighbouring page numbers that hold rows.
fn number_page<E>(query: &ListQuery, number: u32, rows: Vec<E>, count: Option<u64>) -> Page<E> {
    let total = count.unwrap_or_else(|| query.offset() + rows.len() as u64);
    let seen = query.offset() + u64::from(query.page_size);
    Page {
        next: (seen < total)
            .then(|| number.checked_add(1).map(PageLink::Number))
            .flatten(),
        previous: (number > 1).then(|| PageLink::Number(number - 1)),
        items: rows,
        count: Some(total),
    }
}

/// The cursor positioned at `item`, walking forwards or backwards from it.
fn cursor_at<E: Entity>(
    query: &ListQuery,
    item: &E,
    backwards: bool,
    cursors: &CursorCodec,
) -> Option<PageLink> {
    let values = query
        .ordering
        .iter()
        .map(|key| item.field(key.field.name))
        .collect::<Option<Vec<_>>>()?;
    let position = Keyset {
        backwards,
        values,
        id: item.meta().id,
    };
    Some(PageLink::Cursor(
        cursors.encode(&query.ordering_text(), &position),
    ))
}
