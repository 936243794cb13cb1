//! `POST <collection>/import?dry_run=true|false&mode=all_or_nothing|best_effort`: a CSV or
//! XLSX file (by `Content-Type`, `?format=`, or for `application/octet-stream` by its first
//! bytes) upserted by natural key. A file that cannot be read as rows is a `422` naming
//! `file` (the body is declared as any bytes). The answer is the
//! [`ImportReport`]: `200`, or a `422` problem carrying it when rows were refused and nothing
//! was written.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use campushub_core::exchange::{import_sheet, Columns, ImportReport};
use campushub_core::service::{ImportOptions, NoProgress};
use campushub_core::{BatchMode, Entity, Error, ReadOptions, ReadRoute};
use serde_json::Value;

use super::format::Format;
use super::{csv_format, xlsx, ExchangeState, OCTET_STREAM, TEXT_CSV, XLSX};
use crate::auth::Caller;
use crate::config::ImportLimits;
use crate::consistency::set_token;
use crate::extract::QueryParams;
use crate::list::json_response;
use crate::problem::{rejected_report, ApiResult, Problem};

/// The `type` of the `422` of an import that refused rows and wrote nothing.
pub const IMPORT_REJECTED: &str = "urn:campushub:problem:import-rejected";

pub(super) async fn import<E: Entity>(
    State(state): State<ExchangeState<E>>,
    Caller(principal): Caller,
    QueryParams(params): QueryParams,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (options, format) = options(&params)?;
    // Refuse a caller who may not write before reading a large body.
    for action in [
        campushub_core::Action::Create,
        campushub_core::Action::Update,
    ] {
        state
            .service
            .policy()
            .authorize(&principal, E::KIND, action)?;
    }
    // A wrong media type is refused before the body is read.
    if format.is_none() {
        format_of(&headers, b"PK\x03\x04")?;
    }
    let limits = state.limits;
    let bytes = axum::body::to_bytes(body, limits.max_file_bytes)
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file is larger than {} bytes", limits.max_file_bytes),
            )
        })?;
    let format = match format {
        Some(format) => format,
        None => format_of(&headers, &bytes)?,
    };
    let sheet = tokio::task::spawn_blocking(move || read_sheet(bytes.to_vec(), format, &limits))
        .await
        .map_err(|error| Error::internal("the file reader did not finish", error))??;
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let definitions = state.service.custom_field_definitions(&read).await?;
    let personal = state.service.policy().sees_personal(&principal, E::KIND);
    let columns = Columns::of(E::schema(), &definitions, personal);
    let report = import_sheet(
        &state.service,
        &principal,
        sheet,
        &columns,
        &state.references,
        options,
        &NoProgress,
    )
    .await?;
    Ok(report_response(report))
}

/// The rows of a CSV or XLSX file under `limits` (for a command line's import).
///
/// # Errors
/// As the import route answers: a `422` naming the row for a file that cannot be read, a
/// `413` past the row limit.
pub fn read_sheet(
    bytes: Vec<u8>,
    format: Format,
    limits: &ImportLimits,
) -> Result<campushub_core::exchange::Sheet, Problem> {
    match format {
        Format::Csv => csv_format::read(&bytes, limits),
        Format::Xlsx => xlsx::read(bytes, limits),
    }
}

/// The options and the format the query asks for.
fn options(params: &[(String, String)]) -> ApiResult<(ImportOptions, Option<Format>)> {
    let mut options = ImportOptions::default();
    let mut format = None;
    for (name, value) in params {
        match (name.as_str(), value.as_str()) {
            ("dry_run", "true") => options.dry_run = true,
            ("dry_run", "false") => options.dry_run = false,
            ("dry_run", _) => return Err(Problem::invalid(name, "expected `true` or `false`")),
            ("mode", "all_or_nothing") => options.mode = BatchMode::AllOrNothing,
            ("mode", "best_effort") => options.mode = BatchMode::EachRow,
            ("mode", _) => {
                return Err(Problem::invalid(
                    name,
                    "expected `all_or_nothing` or `best_effort`",
                ))
            }
            ("format", value) => {
                format = Some(
                    Format::parse(value)
                        .ok_or_else(|| Problem::invalid(name, "expected `csv` or `xlsx`"))?,
                );
            }
            _ => {
                return Err(Problem::invalid(
                    name,
                    "unknown parameter; an import takes `dry_run`, `mode` and `format`",
                ))
            }
        }
    }
    Ok((options, format))
}

/// The format the `Content-Type` names; for `application/octet-stream` (what generated
/// clients send for a file), the content says: a zip archive is XLSX, anything else CSV.
fn format_of(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Format> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match media_type.as_deref() {
        Some(TEXT_CSV) => Ok(Format::Csv),
        Some(XLSX) => Ok(Format::Xlsx),
        Some(OCTET_STREAM) if bytes.starts_with(b"PK\x03\x04") => Ok(Format::Xlsx),
        Some(OCTET_STREAM) => Ok(Format::Csv),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "send the file as `{TEXT_CSV}`, `{XLSX}` or `{OCTET_STREAM}` (or say \
                 `?format=csv|xlsx`)"
            ),
        )),
    }
}

fn report_response(report: ImportReport) -> Response {
    let token = report.token;
    let refused = !report.dry_run && !report.written && !report.errors.is_empty();
    let body = serde_json::to_value(&report).unwrap_or(Value::Null);
    if !refused {
        let mut response = json_response(StatusCode::OK, body.to_string());
        set_token(response.headers_mut(), token);
        return response;
    }
    let detail = format!(
        "{} problem(s) found; nothing was written: fix the rows `errors` names and send the \
         file again",
        report.errors.len()
    );
    rejected_report(body, IMPORT_REJECTED, "No row imported", detail)
}
