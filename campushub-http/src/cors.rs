//! Cross-origin requests (CORS) for browser front ends served from another origin: which
//! origins may call the API, and the layer that answers their preflights.
//!
//! Off by default: a router without configured origins sends no CORS headers, and browsers
//! keep other origins out. The layer sits outside authentication, so a preflight (`OPTIONS`,
//! which carries no credentials) is answered without one; the request that follows is
//! authenticated as usual.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::headers::{API_KEY_HEADER, CONSISTENCY_TOKEN, REQUEST_ID};

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers (the default): only same-origin pages and non-browser clients.
    #[default]
    None,
    /// Any origin (`Access-Control-Allow-Origin: *`). Bearer tokens and API keys still decide
    /// who is served; browsers send no cookies with such requests, and the API uses none.
    Any,
    /// These origins exactly (`https://erp.example.edu`), echoed back to the one that asks.
    List(Vec<HeaderValue>),
}

impl CorsOrigins {
    /// Parses `*` or a comma-separated list of origins (`scheme://host[:port]`, no path).
    pub fn parse(text: &str) -> Result<CorsOrigins, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(CorsOrigins::None);
        }
        if text == "*" {
            return Ok(CorsOrigins::Any);
        }
        text.split(',')
            .map(|origin| origin_value(origin.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(CorsOrigins::List)
    }

    /// The layer answering preflights and marking responses for these origins, or `None` when
    /// CORS is off.
    pub fn layer(&self) -> Option<CorsLayer> {
        // Listed origins may send credentials (the refresh-token cookie of a login that
        // asked for it); `*` may not (browsers forbid it, and it would hand the cookie to
        // any site's script).
        let (allow, credentials) = match self {
            CorsOrigins::None => return None,
            CorsOrigins::Any => (AllowOrigin::any(), false),
            CorsOrigins::List(origins) => (AllowOrigin::list(origins.iter().cloned()), true),
        };
        Some(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_credentials(credentials)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                    header::IF_NONE_MATCH,
                    CONSISTENCY_TOKEN.clone(),
                    API_KEY_HEADER.clone(),
                    REQUEST_ID.clone(),
                ])
                .expose_headers(exposed())
                .max_age(Duration::from_secs(3600)),
        )
    }
}

/// The response headers a page may read: what a client needs for concurrency control,
/// read-your-writes, following a create and reporting a request.
fn exposed() -> [HeaderName; 4] {
    [
        header::ETAG,
        header::LOCATION,
        CONSISTENCY_TOKEN.clone(),
        REQUEST_ID.clone(),
    ]
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`.
fn origin_value(origin: &str) -> Result<HeaderValue, String> {
    let invalid = |why: &str| {
        format!("`{origin}` is not an origin ({why}); write e.g. `https://erp.example.edu`")
    };
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or_else(|| invalid("no scheme"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(invalid("the scheme is not http or https"));
    }
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return Err(invalid("only a host and port may follow the scheme"));
    }
    HeaderValue::from_str(origin).map_err(|_| invalid("not header text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_none_any_and_lists() {
        assert_eq!(CorsOrigins::parse(""), Ok(CorsOrigins::None));
        assert_eq!(CorsOrigins::parse(" * "), Ok(CorsOrigins::Any));
        let list = CorsOrigins::parse("https://erp.example.edu, http://localhost:5173");
        assert_eq!(
            list,
            Ok(CorsOrigins::List(vec![
                HeaderValue::from_static("https://erp.example.edu"),
                HeaderValue::from_static("http://localhost:5173"),
            ]))
        );
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        for bad in [
            "erp.example.edu",
            "ftp://erp.example.edu",
            "https://erp.example.edu/app",
            "https://",
            "https://a,",
            "https://erp example",
        ] {
            let error = CorsOrigins::parse(bad).expect_err(bad);
            assert!(error.contains("is not an origin"), "{bad}: {error}");
        }
    }

    #[test]
    fn no_layer_when_off() {
        assert!(CorsOrigins::None.layer().is_none());
        assert!(CorsOrigins::Any.layer().is_some());
    }
}
