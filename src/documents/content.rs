//! `PUT` and `GET /api/v1/documents/{id}/content`: a document's bytes, streamed into and out
//! of the store, served beside the metadata resource with [`ApiState::routes`].
//!
//! [`ApiState::routes`]: crate::http::ApiState::routes

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use uuid::Uuid;

use super::document::Document;
use super::download::{disposition, is_current, requested_part, Part};
use super::settings::DocumentSettings;
use super::store::{DocumentStore, Stored, UploadError};
use crate::core::service::WrittenRecord;
use crate::core::{
    Action, Entity as _, EntityService, Precondition, Principal, ReadOptions, ReadRoute,
};
use crate::http::consistency::set_token;
use crate::http::etag::etag;
use crate::http::list::json_response;
use crate::http::problem::ApiResult;
use crate::http::{Caller, Problem};

/// The content route's template.
pub(super) const PATH: &str = "/api/v1/documents/{id}/content";

/// What the content handlers share.
#[derive(Clone)]
pub(super) struct Content {
    pub(super) service: EntityService<Document>,
    pub(super) store: DocumentStore,
    pub(super) settings: Arc<DocumentSettings>,
}

/// The content routes.
pub(super) fn routes(content: Content) -> Router {
    // A form upload is read through axum's `Multipart`, which the router holds to the
    // buffered-body limit: the content route's own is the streamed one (the upload checks the
    // file's length itself as it reads).
    let limit = usize::try_from(stream_limit(&content.settings)).unwrap_or(usize::MAX);
    Router::new()
        .route(PATH, get(download).put(upload))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(content)
}

/// The most a content upload's body may carry: the largest document, plus room for a form's
/// boundaries and part headers, and one byte, so that the upload's own check answers (and
/// aborts what it stored) before the router's cap cuts the body off.
pub(super) fn stream_limit(settings: &DocumentSettings) -> u64 {
    settings.max_bytes.saturating_add(FORM_OVERHEAD + 1)
}

/// Room for a form's boundaries and part headers around the file.
const FORM_OVERHEAD: u64 = 64 * 1024;

/// Stores the request's body (or, for a `multipart/form-data` body, its `file` part) as the
/// document's bytes, then points the metadata at them.
async fn upload(
    State(content): State<Content>,
    Caller(principal): Caller,
    Path(id): Path<Uuid>,
    request: Request,
) -> ApiResult<Response> {
    let service = &content.service;
    service
        .policy()
        .authorize(&principal, Document::KIND, Action::Update)?;
    let (settings, max) = (&content.settings, content.settings.max_bytes);
    let declared = header_text(request.headers(), &header::CONTENT_TYPE).to_owned();
    let form = media_type(&declared) == MULTIPART;
    if !form {
        accepted_type(&declared, settings)?;
        let length = header_text(request.headers(), &header::CONTENT_LENGTH);
        if length.parse::<u64>().is_ok_and(|length| length > max) {
            return Err(too_large(max));
        }
    }
    // The record must exist and be the caller's to write before any byte is stored.
    let primary = ReadOptions::default().on(ReadRoute::Primary);
    service.retrieve(&principal, id, &primary).await?;

    let (media, stored) = if form {
        let form = Multipart::from_request(request, &())
            .await
            .map_err(|rejection| Problem::new(rejection.status(), rejection.body_text()))?;
        upload_form(form, &content, id).await?
    } else {
        let media = media_type(&declared);
        let body = request.into_body().into_data_stream();
        (media, content.store.upload(id, body, max).await)
    };
    let stored = stored.map_err(upload_problem)?;
    let written = switch_to(&content, &principal, id, stored, media).await?;
    let body = service.present(&principal, &written.record).await?;
    let mut response = json_response(StatusCode::OK, body);
    let meta = &written.record.meta;
    response
        .headers_mut()
        .insert(header::ETAG, etag(meta.id, meta.version));
    set_token(response.headers_mut(), written.token);
    Ok(response)
}

/// Points document `id`'s metadata at the `stored` bytes of type `media` (a new version),
/// then deletes the bytes it named before; if the write fails, deletes the new bytes instead.
async fn switch_to(
    content: &Content,
    principal: &Principal,
    id: Uuid,
    stored: Stored,
    media: String,
) -> ApiResult<WrittenRecord<Document>> {
    // The key the metadata named before, to delete once it names the new one.
    let replaced: Mutex<Option<String>> = Mutex::new(None);
    let now = Utc::now();
    let written = content
        .service
        .update_with(principal, id, Precondition::default(), |document| {
            *replaced.lock().unwrap_or_else(PoisonError::into_inner) = document.object_key.clone();
            document.object_key = Some(stored.key.clone());
            document.size = i64::try_from(stored.size).ok();
            document.sha256 = Some(stored.sha256.clone());
            document.content_type = Some(media.clone());
            document.uploaded_by = Some(principal.subject.clone());
            document.uploaded_at = Some(now);
        })
        .await;
    match written {
        Ok(written) => {
            let replaced = replaced
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(old) = replaced {
                forget(&content.store, &old).await;
            }
            Ok(written)
        }
        Err(error) => {
            forget(&content.store, &stored.key).await;
            Err(error.into())
        }
    }
}

/// Streams the document's bytes, whole or one range.
async fn download(
    State(content): State<Content>,
    Caller(principal): Caller,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let service = &content.service;
    // On the primary: a replica that lags an upload names bytes the upload already deleted.
    // One read of a row is little beside the bytes it precedes.
    let primary = ReadOptions::default().on(ReadRoute::Primary);
    let fetched = service.retrieve(&principal, id, &primary).await?;
    // The bytes are personal data: only callers granted the kind's personal fields get them.
    if !service.policy().sees_personal(&principal, Document::KIND) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            format!("`{}` may read documents' metadata only", principal.subject),
        ));
    }
    let document = fetched.value()?;
    let (Some(key), Some(size), Some(sha256)) =
        (&document.object_key, document.size, &document.sha256)
    else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("document {id} has no content yet"),
        ));
    };
    let size = u64::try_from(size).unwrap_or_default();
    let tag = format!("\"{sha256}\"");
    let tag_value = HeaderValue::from_str(&tag).map_err(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "a stored digest is not a header value",
        )
    })?;
    if is_current(&headers, &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, tag_value);
        return Ok(response);
    }
    let (status, range) = match requested_part(&headers, size, &tag) {
        Part::Whole => (StatusCode::OK, None),
        Part::Bytes(range) => (StatusCode::PARTIAL_CONTENT, Some(range)),
        Part::Unsatisfiable => {
            let mut response = Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range starts past the document's {size} bytes"),
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let stream = content
        .store
        .download(key, range.clone())
        .await
        .map_err(|error| match error {
            object_store::Error::NotFound { .. } => Problem::new(
                StatusCode::NOT_FOUND,
                format!("the bytes of document {id} are gone; upload them again"),
            ),
            error => store_problem(&error),
        })?;
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let out = response.headers_mut();
    let length = range.as_ref().map_or(size, |range| range.end - range.start);
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(range) = &range {
        let value = format!("bytes {}-{}/{size}", range.start, range.end - 1);
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(header::CONTENT_RANGE, value);
        }
    }
    let media = document
        .content_type
        .as_deref()
        .and_then(|media| HeaderValue::from_str(media).ok())
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    out.insert(header::CONTENT_TYPE, media);
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::ETAG, tag_value);
    out.insert(header::CONTENT_DISPOSITION, disposition(&document.title));
    Ok(response)
}

/// The media type of a form upload, whose `file` part holds the bytes.
const MULTIPART: &str = "multipart/form-data";

/// The name of a form upload's part that holds the bytes.
const FILE_PART: &str = "file";

/// Header `name`'s value as text (empty when missing or not visible ASCII).
fn header_text<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// `declared`'s media type, lower case and without parameters.
fn media_type(declared: &str) -> String {
    declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The media type `declared` names, if the settings accept it: else `415`.
fn accepted_type(declared: &str, settings: &DocumentSettings) -> ApiResult<String> {
    let media = media_type(declared);
    if media.is_empty() || !settings.accepts(&media) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "a document's Content-Type must be one of: {} (got `{declared}`)",
                settings.content_types.join(", ")
            ),
        ));
    }
    Ok(media)
}

/// Streams the form's `file` part (parts before it are skipped) into the store for document
/// `id`: its media type (which the settings must accept, else `415`) and what was stored;
/// `400` for a malformed form or one without a `file` part.
async fn upload_form(
    mut form: Multipart,
    content: &Content,
    id: Uuid,
) -> ApiResult<(String, Result<Stored, UploadError>)> {
    let malformed = |error: axum::extract::multipart::MultipartError| {
        Problem::new(error.status(), error.body_text())
    };
    while let Some(part) = form.next_field().await.map_err(malformed)? {
        if part.name() == Some(FILE_PART) {
            let declared = part.content_type().unwrap_or_default().to_owned();
            let media = accepted_type(&declared, &content.settings)?;
            let max = content.settings.max_bytes;
            return Ok((media, content.store.upload(id, Box::pin(part), max).await));
        }
    }
    Err(Problem::invalid(
        FILE_PART,
        "a multipart upload needs a `file` part holding the document",
    ))
}

/// The `413` for an upload over `max` bytes.
fn too_large(max: u64) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("a document may be at most {max} bytes"),
    )
}

/// The problem an upload that stored nothing answers.
fn upload_problem(error: UploadError) -> Problem {
    match error {
        UploadError::TooLarge(max) => too_large(max),
        UploadError::Empty => Problem::new(
            StatusCode::BAD_REQUEST,
            "the body is empty: a document needs bytes",
        ),
        UploadError::Body(detail) => Problem::new(
            StatusCode::BAD_REQUEST,
            format!("the body could not be read: {detail}"),
        ),
        UploadError::Store(error) => store_problem(&error),
    }
}

/// The `503` of a store that failed (logged; the client is told to retry).
fn store_problem(error: &object_store::Error) -> Problem {
    tracing::error!(%error, "the document store failed");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the document store is unavailable; retry later",
    )
}

/// Deletes the object at `key`, logging a failure: the sweep removes what is left.
async fn forget(store: &DocumentStore, key: &str) {
    if let Err(error) = store.delete(key).await {
        tracing::warn!(%error, key, "an unreferenced document object is left for the sweep");
    }
}
