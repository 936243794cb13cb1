//! Every row of a list query, one keyset page at a time, as the list route would answer them
//! (same filters, search, ordering and scopes).

use campushub_core::query::PageLink;
use campushub_core::{Entity, EntityService, Error, Principal, ReadOptions};
use serde_json::{Map, Value};

/// A walk over the pages of one query.
pub(super) struct Pages<E: Entity> {
    service: EntityService<E>,
    principal: Principal,
    params: Vec<(String, String)>,
    read: ReadOptions,
    /// The page read but not yet handed out (the first, read before answering).
    ready: Option<Vec<Map<String, Value>>>,
    next: Option<String>,
}

impl<E: Entity> Pages<E> {
    /// Reads the first page of `params` (which must not name a page or cursor): an error here
    /// is the request's, answered before any byte of the export.
    pub(super) async fn start(
        service: EntityService<E>,
        principal: Principal,
        params: Vec<(String, String)>,
        read: ReadOptions,
    ) -> Result<Self, Error> {
        let mut pages = Pages {
            service,
            principal,
            params,
            read,
            ready: None,
            next: None,
        };
        let (rows, next) = pages.fetch(None).await?;
        pages.ready = Some(rows);
        pages.next = next;
        Ok(pages)
    }

    /// The next page's rows, or `None` after the last.
    pub(super) async fn next_page(&mut self) -> Result<Option<Vec<Map<String, Value>>>, Error> {
        if let Some(rows) = self.ready.take() {
            return Ok(Some(rows));
        }
        let Some(cursor) = self.next.take() else {
            return Ok(None);
        };
        let (rows, next) = self.fetch(Some(cursor)).await?;
        self.next = next;
        Ok(Some(rows))
    }

    async fn fetch(
        &self,
        cursor: Option<String>,
    ) -> Result<(Vec<Map<String, Value>>, Option<String>), Error> {
        let mut params = self.params.clone();
        if let Some(cursor) = cursor {
            params.push(("cursor".to_owned(), cursor));
        }
        let listed = self
            .service
            .list(&self.principal, &params, &self.read)
            .await?;
        let rows = serde_json::from_slice(listed.results.json())
            .map_err(|error| Error::internal("a listed page does not decode", error))?;
        let next = match listed.next {
            Some(PageLink::Cursor(cursor)) => Some(cursor),
            _ => None,
        };
        Ok((rows, next))
    }
}
