//! The refresh token in a cookie, for single-page apps: a login that asks for it
//! (`"refresh_cookie": true`) gets the refresh token as an `HttpOnly; Secure;
//! SameSite=Strict` cookie scoped to the refresh route, never in the body, so no script of the
//! page (nor one injected into it) can read it; `/auth/refresh` then takes it from the cookie
//! and sets the next one, and `/auth/logout` clears it.
//!
//! Why this is safe from cross-site request forgery: the cookie is `SameSite=Strict` (a
//! browser sends it only on requests from the API's own site), and `/auth/refresh` accepts
//! only a JSON body, which a cross-site form cannot send without a CORS preflight the API
//! answers for its configured origins only. The access token stays in the page's memory and
//! travels as `Authorization: Bearer`, which no browser attaches on its own.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::routing::API_PREFIX;

/// The cookie's name.
pub(crate) const REFRESH_COOKIE: &str = "campushub_refresh";

/// The path the cookie is sent to: the refresh route only.
fn path() -> String {
    format!("{API_PREFIX}/auth/refresh")
}

/// `Set-Cookie` carrying `token` for `max_age` seconds.
pub(crate) fn set(token: &str, max_age: u64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={token}; Max-Age={max_age}; Path={}; HttpOnly; Secure; SameSite=Strict",
        path()
    ))
    .ok()
}

/// `Set-Cookie` removing the cookie.
pub(crate) fn clear() -> Option<HeaderValue> {
    set("", 0)
}

/// The refresh token of the request's cookie, if it sends one.
pub(crate) fn from_request(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == REFRESH_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::{header, HeaderMap, HeaderValue};

    use super::{clear, from_request, set};

    #[test]
    fn the_cookie_is_http_only_secure_strict_and_scoped_to_the_refresh_route() {
        let cookie = set("abc", 60).expect("header");
        let text = cookie.to_str().expect("text");
        for attribute in [
            "campushub_refresh=abc",
            "Max-Age=60",
            "Path=/api/v1/auth/refresh",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
        ] {
            assert!(text.contains(attribute), "{attribute} in {text}");
        }
        assert!(clear()
            .expect("header")
            .to_str()
            .expect("text")
            .contains("Max-Age=0"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies_and_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(from_request(&headers), None);
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; campushub_refresh=tok; b=2"),
        );
        assert_eq!(from_request(&headers).as_deref(), Some("tok"));
        let mut empty = HeaderMap::new();
        empty.insert(
            header::COOKIE,
            HeaderValue::from_static("campushub_refresh="),
        );
        assert_eq!(from_request(&empty), None);
    }
}
