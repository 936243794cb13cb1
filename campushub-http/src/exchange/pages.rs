//! Every row of a list query, one keyset page at a time, as the list route would answer them
//! (same filters, search, ordering and scopes): a [`Walk`] of the service, past its cache,
//! whose first page is read before the response starts.

use campushub_core::service::Walk;
use campushub_core::{Entity, EntityService, Error, Principal, ReadOptions};
use serde_json::{Map, Value};

/// A walk over the pages of one query.
pub(super) struct Pages<E: Entity> {
    walk: Walk<E>,
    /// The page read but not yet handed out (the first, read before answering).
    ready: Option<Vec<Map<String, Value>>>,
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
        let mut walk = service.walk(&principal, &params, &read).await?;
        let ready = Some(walk.next_page().await?.unwrap_or_default());
        Ok(Pages { walk, ready })
    }

    /// The next page's rows, or `None` after the last.
    pub(super) async fn next_page(&mut self) -> Result<Option<Vec<Map<String, Value>>>, Error> {
        if let Some(rows) = self.ready.take() {
            return Ok(Some(rows));
        }
        self.walk.next_page().await
    }
}
