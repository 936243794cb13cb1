//! `GET <collection>/export?format=csv|xlsx&<list parameters>`: every row the list query
//! matches, as a file. CSV is streamed a page at a time; XLSX is written by a blocking task
//! in constant memory (rows go to a temporary file) and sent once complete.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use campushub_core::exchange::Columns;
use campushub_core::{Entity, EntityService, Error, Principal, ReadOptions};

use super::format::Format;
use super::pages::Pages;
use super::{csv_format, xlsx, ExchangeState, TEXT_CSV, XLSX};
use crate::auth::Caller;
use crate::consistency::ReadConsistency;
use crate::extract::QueryParams;
use crate::problem::{ApiResult, Problem};

/// The query parameter that chooses the format.
const FORMAT: &str = "format";

pub(super) async fn export<E: Entity>(
    State(state): State<ExchangeState<E>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    let (format, kept) = split_format(params)?;
    let service = state.service.clone();
    respond(service, principal, kept, read, format, state.segment).await
}

/// The format an export's `params` choose (CSV unless `format=xlsx`), and the other
/// parameters: the query's. An export has every matching row, so page parameters are refused.
pub(super) fn split_format(
    params: Vec<(String, String)>,
) -> Result<(Format, Vec<(String, String)>), Problem> {
    let mut format = Format::Csv;
    let mut kept = Vec::with_capacity(params.len() + 1);
    for (name, value) in params {
        match name.as_str() {
            FORMAT => {
                format = Format::parse(&value)
                    .ok_or_else(|| Problem::invalid(FORMAT, "expected `csv` or `xlsx`"))?;
            }
            "page" | "cursor" | "page_size" => {
                return Err(Problem::invalid(
                    &name,
                    "an export has every matching row: it takes no page parameters",
                ))
            }
            _ => kept.push((name, value)),
        }
    }
    Ok((format, kept))
}

/// The CSV export of the list query `params`, for `Accept: text/csv` on the list route.
pub(crate) async fn csv_list<E: Entity>(
    service: EntityService<E>,
    principal: Principal,
    mut params: Vec<(String, String)>,
    read: ReadOptions,
    segment: &'static str,
) -> ApiResult<Response> {
    params.retain(|(name, _)| !matches!(name.as_str(), "page" | "cursor" | "page_size"));
    respond(service, principal, params, read, Format::Csv, segment).await
}

async fn respond<E: Entity>(
    service: EntityService<E>,
    principal: Principal,
    params: Vec<(String, String)>,
    read: ReadOptions,
    format: Format,
    segment: &'static str,
) -> ApiResult<Response> {
    // The caller's list permission is checked by the first page, before the definitions.
    let pages = Pages::start(service.clone(), principal.clone(), params, read.clone()).await?;
    let definitions = service.custom_field_definitions(&read).await?;
    let personal = service.policy().sees_personal(&principal, E::KIND);
    let columns = Columns::of(E::schema(), &definitions, personal);
    let (body, media_type, extension) = match format {
        Format::Csv => (csv_body(columns, pages), TEXT_CSV, "csv"),
        Format::Xlsx => (
            Body::from(xlsx_bytes(columns, pages).await?.0),
            XLSX,
            "xlsx",
        ),
    };
    Ok(file_response(body, media_type, segment, extension))
}

/// A `200` carrying `body`, a file of `media_type` (CSV's with its charset and header row
/// declared) to be saved as `<name>.<extension>`.
pub(super) fn file_response(
    body: Body,
    media_type: &'static str,
    name: &str,
    extension: &str,
) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let media_type = if media_type == TEXT_CSV {
        "text/csv; charset=utf-8; header=present"
    } else {
        media_type
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(disposition) =
        HeaderValue::try_from(format!("attachment; filename=\"{name}.{extension}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}

/// Writes every row of the list query `params` (no page parameters) as `format` to `out`,
/// as `principal` may see them, and returns how many rows were written (for a command
/// line's export). CSV is written page by page; XLSX once complete.
///
/// # Errors
/// What the list answers (an unknown parameter, a refusal); a failure to write to `out`.
pub async fn write_export<E: Entity>(
    service: EntityService<E>,
    principal: Principal,
    params: Vec<(String, String)>,
    format: Format,
    out: &mut (dyn std::io::Write + Send),
) -> Result<u64, Error> {
    let read = ReadOptions::default();
    let mut pages = Pages::start(service.clone(), principal.clone(), params, read.clone()).await?;
    let definitions = service.custom_field_definitions(&read).await?;
    let personal = service.policy().sees_personal(&principal, E::KIND);
    let columns = Columns::of(E::schema(), &definitions, personal);
    let failed = |error: std::io::Error| Error::internal("the export could not be written", error);
    match format {
        Format::Csv => {
            out.write_all(&csv_format::header(&columns))
                .map_err(failed)?;
            let mut rows = 0u64;
            while let Some(page) = pages.next_page().await? {
                let mut chunk = Vec::new();
                csv_format::rows(&columns, &page, &mut chunk);
                out.write_all(&chunk).map_err(failed)?;
                rows += page.len() as u64;
            }
            Ok(rows)
        }
        Format::Xlsx => {
            let (file, rows) = xlsx_bytes(columns, pages).await?;
            out.write_all(&file).map_err(failed)?;
            Ok(rows)
        }
    }
}

/// The CSV file as a stream: the header row, then one chunk per page. A failure after the
/// first page ends the stream with an error, which cuts the response short (no valid end).
fn csv_body<E: Entity>(columns: Columns, pages: Pages<E>) -> Body {
    let head = csv_format::header(&columns);
    let stream = futures::stream::try_unfold(
        (columns, pages, Some(head)),
        |(columns, mut pages, head)| async move {
            let Some(rows) = pages.next_page().await? else {
                return Ok::<_, Error>(None);
            };
            let mut chunk = head.unwrap_or_default();
            csv_format::rows(&columns, &rows, &mut chunk);
            Ok(Some((Bytes::from(chunk), (columns, pages, None))))
        },
    );
    Body::from_stream(stream)
}

/// The XLSX file and its number of rows: pages handed to a blocking writer as they are read.
async fn xlsx_bytes<E: Entity>(
    columns: Columns,
    mut pages: Pages<E>,
) -> Result<(Vec<u8>, u64), Error> {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let writer = tokio::task::spawn_blocking(move || xlsx::write(&columns, receiver));
    let mut count = 0u64;
    while let Some(rows) = pages.next_page().await? {
        count += rows.len() as u64;
        if sender.send(rows).await.is_err() {
            // The writer stopped early: its error is reported below.
            break;
        }
    }
    drop(sender);
    let file = writer
        .await
        .map_err(|error| Error::internal("the XLSX writer did not finish", error))??;
    Ok((file, count))
}
