//! Entity tags: strong ETags from a record's id and version, `If-None-Match` on reads and
//! `If-Match` on writes.
//!
//! An ETag is `"<id>-<version>"`. `If-Match` must be `*` or exactly one such tag: a tag
//! naming another record is a 412, anything unparsable (several tags, a weak tag, no quotes)
//! is a 400 naming the `If-Match` header.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use uuid::Uuid;

use crate::problem::Problem;

/// The ETag of version `version` of record `id`.
pub fn etag(id: Uuid, version: i64) -> HeaderValue {
    // A UUID and a number are always valid header text.
    HeaderValue::try_from(format!("\"{id}-{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` matches `current` (weak comparison, `*` included).
pub fn none_match(headers: &HeaderMap, current: &HeaderValue) -> bool {
    let Some(current) = current.to_str().ok() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == current)
}

/// The version `If-Match` expects for record `id`: `None` without the header or for `*`.
pub fn expected_version(headers: &HeaderMap, id: Uuid) -> Result<Option<i64>, Problem> {
    let mut values = headers.get_all(header::IF_MATCH).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let malformed = || {
        Problem::invalid(
            "If-Match",
            "expected `*` or exactly one strong ETag as returned by a read (`\"<id>-<version>\"`)",
        )
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let text = value.to_str().map_err(|_| malformed())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(malformed)?;
    let (tag_id, version) = inner.rsplit_once('-').ok_or_else(malformed)?;
    let tag_id = Uuid::parse_str(tag_id).map_err(|_| malformed())?;
    let version: i64 = version.parse().map_err(|_| malformed())?;
    if tag_id != id {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "the If-Match ETag names another record",
        ));
    }
    Ok(Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn if_match_round_trips_the_etag() {
        let id = Uuid::now_v7();
        let tag = etag(id, 7);
        let headers = with(header::IF_MATCH, tag.to_str().expect("text"));
        assert_eq!(expected_version(&headers, id).ok(), Some(Some(7)));
        assert_eq!(
            expected_version(&with(header::IF_MATCH, "*"), id).ok(),
            Some(None)
        );
    }

    #[test]
    fn if_match_rejects_malformed_and_foreign_tags() {
        let id = Uuid::now_v7();
        for bad in ["7", "W/\"x-1\"", "\"nope\"", "\"a\", \"b\""] {
            let problem = expected_version(&with(header::IF_MATCH, bad), id).expect_err(bad);
            assert_eq!(problem.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        let other = etag(Uuid::now_v7(), 1);
        let problem = expected_version(&with(header::IF_MATCH, other.to_str().expect("t")), id)
            .expect_err("foreign");
        assert_eq!(problem.status, StatusCode::PRECONDITION_FAILED);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let id = Uuid::now_v7();
        let tag = etag(id, 3);
        let text = tag.to_str().expect("text");
        assert!(none_match(&with(header::IF_NONE_MATCH, text), &tag));
        assert!(none_match(
            &with(header::IF_NONE_MATCH, &format!("\"x\", W/{text}")),
            &tag
        ));
        assert!(none_match(&with(header::IF_NONE_MATCH, "*"), &tag));
        assert!(!none_match(&with(header::IF_NONE_MATCH, "\"x\""), &tag));
    }
}
