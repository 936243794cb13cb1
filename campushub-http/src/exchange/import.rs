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
use std::sync::Arc;

use campushub_core::exchange::{import_sheet, Columns, ImportReport, SheetRows};
use campushub_core::service::{ImportOptions, ImportProgress, NoProgress};
use campushub_core::{Entity, Principal, ReadOptions, ReadRoute};
use serde_json::Value;

use super::format::Format;
use super::jobs::{mode_of, RunRequest, Runner};
use super::streamed::open_sheet;
use super::{ExchangeState, OCTET_STREAM, TEXT_CSV, XLSX};
use crate::auth::Caller;
use crate::consistency::set_token;
use crate::extract::QueryParams;
use crate::list::json_response;
use crate::problem::{rejected_report, ApiResult, Problem};

/// RFC 7240's request header, whose `respond-async` asks for a job.
const PREFER: &str = "prefer";

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
    let job = asynchronous(&params, &headers)?;
    if job && state.jobs.is_none() {
        return Err(Problem::invalid(
            "async",
            "this server runs no import jobs: send the file without `async=true`",
        ));
    }
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
    if let (true, Some(jobs)) = (job, &state.jobs) {
        return jobs
            .submit(&principal, state.segment, format, options, bytes.to_vec())
            .await;
    }
    let sheet = open_sheet(bytes, format, state.limits).await?;
    let report = import_sheet_of(&state, &principal, sheet, options, &NoProgress).await?;
    Ok(report_response(report))
}

/// Imports the rows of `sheet` as `principal`: what the import route and an import job run.
async fn import_sheet_of<E: Entity>(
    state: &ExchangeState<E>,
    principal: &Principal,
    sheet: impl SheetRows,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, Problem> {
    let read = ReadOptions::default().on(ReadRoute::Primary);
    let definitions = state.service.custom_field_definitions(&read).await?;
    let personal = state.service.policy().sees_personal(principal, E::KIND);
    let columns = Columns::of(E::schema(), &definitions, personal);
    let report = import_sheet(
        &state.service,
        principal,
        sheet,
        &columns,
        &state.references,
        options,
        progress,
    )
    .await?;
    Ok(report)
}

/// The runner of this resource's import jobs: the route's import, as the job's submitter,
/// telling the job how many rows the file has and how many were checked.
pub(super) fn runner<E: Entity>(state: ExchangeState<E>) -> Runner {
    Arc::new(move |request: RunRequest| {
        let state = state.clone();
        Box::pin(async move {
            let file = bytes::Bytes::from(request.file);
            let sheet = open_sheet(file, request.format, state.limits).await?;
            request.progress.total(sheet.rows());
            let progress: &dyn ImportProgress = &*request.progress;
            import_sheet_of(&state, &request.principal, sheet, request.options, progress).await
        })
    })
}

/// Whether the caller asks for a job: `async=true`, or `Prefer: respond-async` (RFC 7240).
fn asynchronous(params: &[(String, String)], headers: &HeaderMap) -> ApiResult<bool> {
    for (name, value) in params {
        if name == "async" {
            return match value.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Problem::invalid(name, "expected `true` or `false`")),
            };
        }
    }
    Ok(headers
        .get_all(PREFER)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|preference| preference.trim().eq_ignore_ascii_case("respond-async")))
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
            ("mode", value) => {
                options.mode = mode_of(value).ok_or_else(|| {
                    Problem::invalid(name, "expected `all_or_nothing` or `best_effort`")
                })?;
            }
            // Read by `asynchronous`.
            ("async", _) => {}
            ("format", value) => {
                format = Some(
                    Format::parse(value)
                        .ok_or_else(|| Problem::invalid(name, "expected `csv` or `xlsx`"))?,
                );
            }
            _ => {
                return Err(Problem::invalid(
                    name,
                    "unknown parameter; an import takes `dry_run`, `mode`, `format` and `async`",
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn asks(params: &[(&str, &str)], prefer: Option<&str>) -> ApiResult<bool> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let mut headers = HeaderMap::new();
        if let Some(prefer) = prefer {
            headers.insert(PREFER, HeaderValue::from_str(prefer).expect("a header"));
        }
        asynchronous(&params, &headers)
    }

    #[test]
    fn a_job_is_asked_for_by_parameter_or_by_preference() {
        assert!(!asks(&[], None).expect("sync"));
        assert!(asks(&[("async", "true")], None).expect("async"));
        assert!(!asks(&[("async", "false")], Some("respond-async")).expect("the parameter wins"));
        assert!(asks(&[], Some("wait=10, Respond-Async")).expect("a preference among others"));
        assert!(!asks(&[], Some("return=minimal")).expect("another preference"));
        assert!(asks(&[("async", "yes")], None).is_err());
    }
}
