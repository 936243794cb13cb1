//! A page of results and the cursors around it.

use serde::Serialize;

use super::{CursorCodec, ListQuery};
use crate::entity::Entity;

/// How to ask for a neighbouring page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
pub fn paginate<E: Entity>(
    query: &ListQuery,
    rows: Vec<E>,
    count: Option<u64>,
    cursors: &CursorCodec,
) -> Page<E> {
    let _ = (query, rows, count, cursors);
    unimplemented!("paginate")
}
