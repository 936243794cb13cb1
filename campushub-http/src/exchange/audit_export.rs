//! `GET /api/v1/audit/export?format=csv|xlsx&<audit filters>`: every entry the filters
//! match, newest first, one row per changed field ([`audit_rows`]). Read page by page
//! through [`AuditService::list`], so the caller's permission and the filters are checked as
//! for `GET /api/v1/audit`, before any byte of the file.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use campushub_core::audit_log::{AuditEntry, AuditService, MAX_AUDIT_PAGE_SIZE};
use campushub_core::exchange::{audit_rows, Cell, AUDIT_HEADERS};
use campushub_core::{Error, Principal};

use super::export::{file_response, split_format};
use super::format::Format;
use super::{csv_format, xlsx, TEXT_CSV, XLSX};
use crate::auth::Caller;
use crate::extract::QueryParams;
use crate::problem::ApiResult;

pub(crate) async fn export(
    State(audit): State<Arc<AuditService>>,
    Caller(principal): Caller,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    let (format, mut params) = split_format(params)?;
    params.push(("page_size".to_owned(), MAX_AUDIT_PAGE_SIZE.to_string()));
    let entries = Entries::start(audit, principal, params).await?;
    let response = match format {
        Format::Csv => file_response(csv_body(entries), TEXT_CSV, "audit", "csv"),
        Format::Xlsx => file_response(
            Body::from(xlsx_bytes(entries).await?),
            XLSX,
            "audit",
            "xlsx",
        ),
    };
    Ok(response)
}

/// A walk over the log's pages for one caller and one set of filters.
struct Entries {
    audit: Arc<AuditService>,
    principal: Principal,
    params: Vec<(String, String)>,
    /// The page read but not yet handed out (the first, read before answering).
    ready: Option<Vec<AuditEntry>>,
    next: Option<String>,
}

impl Entries {
    /// Reads the first page: an error here (a refusal, a bad filter) is the request's.
    async fn start(
        audit: Arc<AuditService>,
        principal: Principal,
        params: Vec<(String, String)>,
    ) -> Result<Self, Error> {
        let first = audit.list(&principal, &params).await?;
        Ok(Entries {
            audit,
            principal,
            params,
            ready: Some(first.results),
            next: first.next,
        })
    }

    /// The next page's rows, `None` after the last.
    async fn next_rows(&mut self) -> Result<Option<Vec<Vec<Cell>>>, Error> {
        let entries = match self.ready.take() {
            Some(entries) => entries,
            None => {
                let Some(cursor) = self.next.take() else {
                    return Ok(None);
                };
                let mut params = self.params.clone();
                params.push(("cursor".to_owned(), cursor));
                let page = self.audit.list(&self.principal, &params).await?;
                self.next = page.next;
                page.results
            }
        };
        Ok(Some(entries.iter().flat_map(audit_rows).collect()))
    }
}

/// The CSV file as a stream: the header row, then one chunk per page.
fn csv_body(entries: Entries) -> Body {
    let head = csv_format::header_of(AUDIT_HEADERS.into_iter());
    let stream =
        futures::stream::try_unfold((entries, Some(head)), |(mut entries, head)| async move {
            let Some(rows) = entries.next_rows().await? else {
                return Ok::<_, Error>(None);
            };
            let mut chunk = head.unwrap_or_default();
            for row in &rows {
                csv_format::cells_row(row, &mut chunk);
            }
            Ok(Some((Bytes::from(chunk), (entries, None))))
        });
    Body::from_stream(stream)
}

/// The XLSX file: pages handed to a blocking writer as they are read.
async fn xlsx_bytes(mut entries: Entries) -> Result<Vec<u8>, Error> {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let writer = tokio::task::spawn_blocking(move || {
        xlsx::write_rows(AUDIT_HEADERS.into_iter(), receiver, |row| row)
    });
    while let Some(rows) = entries.next_rows().await? {
        if sender.send(rows).await.is_err() {
            // The writer stopped early: its error is reported below.
            break;
        }
    }
    drop(sender);
    writer
        .await
        .map_err(|error| Error::internal("the XLSX writer did not finish", error))?
}
