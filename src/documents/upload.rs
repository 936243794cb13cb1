//! `PUT /api/v1/documents/{id}/content`: the request's body (or a form's `file` part)
//! streamed into a fresh object, then the metadata switched to it.

use std::sync::{Mutex, PoisonError};

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use uuid::Uuid;

use super::content::{store_problem, Content};
use super::document::Document;
use super::settings::DocumentSettings;
use super::store::{DocumentStore, Stored, UploadError};
use crate::core::service::WrittenRecord;
use crate::core::{Action, Entity as _, Precondition, Principal, ReadOptions, ReadRoute};
use crate::http::conditional::write_precondition;
use crate::http::consistency::set_token;
use crate::http::etag::etag;
use crate::http::list::json_response;
use crate::http::problem::ApiResult;
use crate::http::{Caller, Problem};

/// Stores the request's body (or, for a `multipart/form-data` body, its `file` part) as the
/// document's bytes, then points the metadata at them.
pub(super) async fn upload(
    State(content): State<Content>,
    Caller(principal): Caller,
    Path(id): Path<Uuid>,
    request: Request,
) -> ApiResult<Response> {
    let service = &content.service;
    service
        .policy()
        .authorize(&principal, Document::KIND, Action::Update)?;
    let precondition = write_precondition(request.headers(), id, content.require_if_match)?;
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
    // The record must exist, be the caller's to write and be the version `If-Match` names
    // before any byte is stored; the write checks the condition again, atomically, should
    // another write commit during the upload. The version is read from the primary's rows,
    // not the cache: another instance's cache may not have dropped the record yet, and its
    // older version would refuse a client holding the current tag.
    let primary = ReadOptions::default().on(ReadRoute::Primary);
    service.retrieve(&principal, id, &primary).await?;
    if precondition.is_conditional() {
        let stored = service.repository().get(id, &primary).await?;
        precondition.check(stored.map(|document| document.meta.version))?;
    }

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
    let written = switch_to(&content, &principal, (id, precondition), stored, media).await?;
    let body = service.present(&principal, &written.record).await?;
    let mut response = json_response(StatusCode::OK, body);
    let meta = &written.record.meta;
    response
        .headers_mut()
        .insert(header::ETAG, etag(meta.id, meta.version));
    set_token(response.headers_mut(), written.token);
    Ok(response)
}

/// Points document `id`'s metadata at the `stored` bytes of type `media` (a new version), if
/// `precondition` holds, then deletes the bytes it named before; if the write fails, deletes
/// the new bytes instead.
async fn switch_to(
    content: &Content,
    principal: &Principal,
    (id, precondition): (Uuid, Precondition),
    stored: Stored,
    media: String,
) -> ApiResult<WrittenRecord<Document>> {
    // The key the metadata named before, to delete once it names the new one.
    let replaced: Mutex<Option<String>> = Mutex::new(None);
    let now = Utc::now();
    let written = content
        .service
        .update_with(principal, id, precondition, |document| {
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

/// Deletes the object at `key`, logging a failure: the sweep removes what is left.
async fn forget(store: &DocumentStore, key: &str) {
    if let Err(error) = store.delete(key).await {
        tracing::warn!(%error, key, "an unreferenced document object is left for the sweep");
    }
}
