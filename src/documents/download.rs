//! What a download answers from the request's headers: the byte range (`Range`, one range,
//! under `If-Range`), whether the client's copy is current (`If-None-Match`), and the name
//! the file is saved as (`Content-Disposition`).

use std::ops::Range;

use axum::http::{header, HeaderMap, HeaderValue};

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
