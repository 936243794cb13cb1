//! `GET /api/v1/documents/{id}/content`: the bytes streamed from the store, as the request's
//! headers ask: the byte range (`Range`, one range, under `If-Range`), whether the client's
//! copy is current (`If-None-Match`), and the name the file is saved as
//! (`Content-Disposition`).

use std::ops::Range;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::content::{store_problem, Content};
use super::document::Document;
use crate::core::{Entity as _, ReadOptions, ReadRoute};
use crate::http::problem::ApiResult;
use crate::http::{Caller, Problem};

/// The part of a document of `size` bytes a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    /// The whole document (no `Range`, one this server ignores, or an `If-Range` that no
    /// longer holds).
    Whole,
    /// One range of bytes, within the document.
    Bytes(Range<u64>),
    /// A range that starts past the end: `416`.
    Unsatisfiable,
}

/// The part `headers` ask for of a document of `size` bytes whose entity tag is `tag`.
///
/// One `bytes=` range is served (`a-b`, `a-`, `-n`); several ranges, or a unit or syntax
/// this server does not know, are ignored, as RFC 9110 allows, and the whole is sent.
pub(super) fn requested_part(headers: &HeaderMap, size: u64, tag: &str) -> Part {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Part::Whole;
    };
    if let Some(condition) = headers.get(header::IF_RANGE) {
        if condition.as_bytes() != tag.as_bytes() {
            return Part::Whole;
        }
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Part::Whole;
    };
    if spec.contains(',') {
        return Part::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Part::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let bounds = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => (first, last.saturating_add(1).min(size)),
        (Ok(first), Err(_)) if last.is_empty() => (first, size),
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => {
            (size.saturating_sub(suffix), size)
        }
        _ => return Part::Whole,
    };
    if bounds.0 >= size {
        return Part::Unsatisfiable;
    }
    Part::Bytes(bounds.0..bounds.1)
}

/// Whether `If-None-Match` names `tag` (or `*`): the client's copy is current.
pub(super) fn is_current(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == "*" || candidate == tag)
}

/// `attachment` with `title` as the file name: a plain ASCII `filename` (quotes, slashes,
/// control characters and non-ASCII replaced by `_`) for every client, and the exact title
/// percent-encoded in `filename*` (RFC 6266) for those that read it.
pub(super) fn disposition(title: &str) -> HeaderValue {
    let ascii: String = title
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '/' | ';' | '%') => c,
            _ => '_',
        })
        .collect();
    let ascii = if ascii.trim().is_empty() {
        "document".to_owned()
    } else {
        ascii
    };
    let encoded: String = title
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let value = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    // Every character is visible ASCII by construction.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Streams the document's bytes, whole or one range.
pub(super) async fn download(
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

#[cfg(test)]
mod tests {
    use axum::http::{header, HeaderMap, HeaderValue};

    use super::{disposition, is_current, requested_part, Part};

    fn with(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name.clone(), HeaderValue::from_str(value).expect("a value"));
        }
        headers
    }

    #[test]
    fn one_range_is_served_and_the_rest_is_the_whole_or_unsatisfiable() {
        let tag = "\"abc\"";
        let part = |range: &str| requested_part(&with(&[(header::RANGE, range)]), 100, tag);
        assert_eq!(part("bytes=0-9"), Part::Bytes(0..10));
        assert_eq!(part("bytes=90-"), Part::Bytes(90..100));
        assert_eq!(part("bytes=-5"), Part::Bytes(95..100));
        assert_eq!(part("bytes=95-1000"), Part::Bytes(95..100));
        assert_eq!(part("bytes=-1000"), Part::Bytes(0..100));
        assert_eq!(part("bytes=100-"), Part::Unsatisfiable);
        assert_eq!(part("bytes=200-300"), Part::Unsatisfiable);
        for ignored in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=-0",
            "bytes=x-",
        ] {
            assert_eq!(part(ignored), Part::Whole, "{ignored}");
        }
        let stale = with(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, "\"old\"")]);
        assert_eq!(requested_part(&stale, 100, tag), Part::Whole);
        let fresh = with(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, tag)]);
        assert_eq!(requested_part(&fresh, 100, tag), Part::Bytes(0..10));
    }

    #[test]
    fn if_none_match_names_the_tag_or_any() {
        let tag = "\"abc\"";
        assert!(is_current(
            &with(&[(header::IF_NONE_MATCH, "\"x\", \"abc\"")]),
            tag
        ));
        assert!(is_current(&with(&[(header::IF_NONE_MATCH, "*")]), tag));
        assert!(!is_current(&with(&[(header::IF_NONE_MATCH, "\"x\"")]), tag));
        assert!(!is_current(&HeaderMap::new(), tag));
    }

    #[test]
    fn the_file_name_is_sanitized_and_the_title_kept_encoded() {
        let value = disposition("../Offer \"letter\"; é.pdf");
        assert_eq!(
            value.to_str().expect("ascii"),
            "attachment; filename=\".._Offer _letter__ _.pdf\"; \
             filename*=UTF-8''..%2FOffer%20%22letter%22%3B%20%C3%A9.pdf"
        );
        assert!(disposition("  ")
            .to_str()
            .expect("ascii")
            .contains("filename=\"document\""));
    }
}
