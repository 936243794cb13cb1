//! List responses: the DRF envelope (`{"count"?, "count_exact"?, "next", "previous",
//! "results"}`) written around the rows' JSON bytes, with `next`/`previous` as URLs.

use std::fmt::Write as _;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use campushub_core::query::PageLink;
use campushub_core::service::Listed;

/// The link for `page` on the request at `path` with `params`: the same path and parameters,
/// `cursor`/`page` replaced.
pub fn page_url(path: &str, params: &[(String, String)], page: &PageLink) -> String {
    let (name, value) = match page {
        PageLink::Cursor(cursor) => ("cursor", cursor.clone()),
        PageLink::Number(number) => ("page", number.to_string()),
    };
    let mut url = String::with_capacity(path.len() + 64);
    url.push_str(path);
    let mut separator = '?';
    let kept = params
        .iter()
        .filter(|(key, _)| key != "cursor" && key != "page");
    for (key, value) in kept
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain([(name, &*value)])
    {
        url.push(separator);
        separator = '&';
        encode_into(&mut url, key);
        url.push('=');
        encode_into(&mut url, value);
    }
    url
}

/// The response for a listed page; the rows' bytes are copied in as they are.
pub fn list_response<E: serde::de::DeserializeOwned>(
    listed: &Listed<E>,
    path: &str,
    params: &[(String, String)],
) -> Response {
    let rows = listed.results.json();
    let link = |page: &Option<PageLink>| match page {
        Some(page) => serde_json::to_string(&page_url(path, params, page))
            .unwrap_or_else(|_| "null".to_owned()),
        None => "null".to_owned(),
    };
    let mut head = String::with_capacity(256);
    head.push('{');
    if let Some(count) = listed.count {
        // With the count: whether it is the total or a lower bound (the service's cap).
        let _ = write!(
            head,
            "\"count\":{count},\"count_exact\":{},",
            listed.count_exact
        );
    }
    let _ = write!(
        head,
        "\"next\":{},\"previous\":{},\"results\":",
        link(&listed.next),
        link(&listed.previous)
    );
    let mut body = Vec::with_capacity(head.len() + rows.len() + 1);
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(rows);
    body.push(b'}');
    json_response(StatusCode::OK, body)
}

/// `value` as a `200` JSON response; a value that does not serialize is a 500 problem.
pub(crate) fn json_ok<T: serde::Serialize>(value: &T) -> crate::problem::ApiResult<Response> {
    let body = serde_json::to_vec(value)
        .map_err(|error| campushub_core::Error::internal("response does not serialize", error))?;
    Ok(json_response(StatusCode::OK, body))
}

/// A `200`-style response with a JSON body.
pub fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn replaces_the_cursor_and_keeps_other_parameters_encoded() {
        let url = page_url(
            "/api/v1/students",
            &params(&[("search", "a b&c"), ("cursor", "old")]),
            &PageLink::Cursor("new+/=".into()),
        );
        assert_eq!(url, "/api/v1/students?search=a%20b%26c&cursor=new%2B%2F%3D");
    }

    #[test]
    fn replaces_the_page_number() {
        let url = page_url(
            "/x",
            &params(&[("page", "1"), ("page_size", "10")]),
            &PageLink::Number(2),
        );
        assert_eq!(url, "/x?page_size=10&page=2");
    }
}
