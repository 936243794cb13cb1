//! Every row of a list query, one keyset page at a time, as the list route would answer them
//! (same filters, search, ordering and scopes): a [`Walk`] of the service, past its cache,
//! whose first page is read before the response starts.
//!
//! After the first page, a task of its own reads ahead: while the writer turns one page into
//! rows and cells, the next is read from the store on another core. At most [`READ_AHEAD`]
//! pages wait, so memory stays flat in the row count; dropping the [`Pages`] (a client that
//! went away) ends the task at its next page.

use campushub_core::service::{Walk, WalkRows};
use campushub_core::{Entity, EntityService, Error, Principal, ReadOptions};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

/// One page of rows as the list route's JSON objects.
type Page = Vec<Map<String, Value>>;

/// Pages read but not yet written: one is enough to keep both cores busy.
const READ_AHEAD: usize = 1;

/// A walk over the pages of one query.
pub(super) struct Pages<E: Entity> {
    /// The page read but not yet handed out (the first, read before answering).
    ready: Option<Page>,
    /// The records of the pages after the first, as the reading task delivers them.
    rest: Option<mpsc::Receiver<Result<Vec<E>, Error>>>,
    /// How records become rows.
    shape: WalkRows,
}

impl<E: Entity> Pages<E> {
    /// Reads the first page of `params` (which must not name a page or cursor): an error here
    /// is the request's, answered before any byte of the export. The rest are read ahead.
    pub(super) async fn start(
        service: EntityService<E>,
        principal: Principal,
        params: Vec<(String, String)>,
        read: ReadOptions,
    ) -> Result<Self, Error> {
        let mut walk = service.walk(&principal, &params, &read).await?;
        let shape = walk.shape();
        let first = walk.next_records().await?;
        let ready = match &first {
            Some(records) => shape.rows(records)?,
            None => Vec::new(),
        };
        Ok(Pages {
            ready: Some(ready),
            rest: first.map(|_| read_ahead(walk)),
            shape,
        })
    }

    /// The next page's rows, or `None` after the last.
    pub(super) async fn next_page(&mut self) -> Result<Option<Page>, Error> {
        if let Some(rows) = self.ready.take() {
            return Ok(Some(rows));
        }
        let Some(rest) = &mut self.rest else {
            return Ok(None);
        };
        match rest.recv().await {
            Some(records) => self.shape.rows(&records?).map(Some),
            None => {
                self.rest = None;
                Ok(None)
            }
        }
    }
}

/// The records of the pages after the walk's first, read by a task of their own; an error is
/// the last thing delivered.
fn read_ahead<E: Entity>(mut walk: Walk<E>) -> mpsc::Receiver<Result<Vec<E>, Error>> {
    let (sender, receiver) = mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        loop {
            let page = match walk.next_records().await {
                Ok(Some(records)) => Ok(records),
                Ok(None) => return,
                Err(error) => Err(error),
            };
            let failed = page.is_err();
            // A closed channel: the export's reader went away.
            if sender.send(page).await.is_err() || failed {
                return;
            }
        }
    });
    receiver
}
