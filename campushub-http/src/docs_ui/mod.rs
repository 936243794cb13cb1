//! `/docs`: an interactive API reference (Swagger UI) over the served document. Swagger UI's
//! files are compiled into the binary (vendored through `utoipa-swagger-ui`); nothing is
//! loaded from elsewhere at run time, which the pages' `Content-Security-Policy` enforces.
//!
//! The page itself is public, but the document stays behind authentication like the rest of
//! `/api/`: the page's script (`campushub-docs.js`) asks for a token or API key, fetches the
//! document with it and has Swagger UI send it with every request it tries.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use utoipa_swagger_ui::Config;

use crate::problem::Problem;
use crate::routing::method_not_allowed;

/// Where the reference is served: the page at `/docs/`, its files beside it.
pub const DOCS_PATH: &str = "/docs";

/// The page, which loads Swagger UI and our script.
const INDEX: &str = include_str!("index.html");
/// Signs in, fetches the document and starts Swagger UI.
const SCRIPT: &str = include_str!("campushub-docs.js");
/// The sign-in form's few rules.
const STYLE: &str = include_str!("campushub-docs.css");

/// Only this server's own files; Swagger UI sets inline styles and shows inline images.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI's own settings, used by `utoipa_swagger_ui::serve` for its initializer only,
/// which the page does not load (our script configures Swagger UI instead).
static SWAGGER_CONFIG: LazyLock<Arc<Config<'static>>> =
    LazyLock::new(|| Arc::new(Config::default()));

/// The routes of the reference: `/docs` (redirected to `/docs/`), `/docs/` and its files.
pub(crate) fn routes() -> Router {
    Router::new()
        // Relative, so that it also works when the router is nested under a prefix.
        .route(DOCS_PATH, get(|| async { Redirect::permanent("docs/") }))
        .route(
            &format!("{DOCS_PATH}/"),
            get(|| async { file("index.html") }),
        )
        .route(
            &format!("{DOCS_PATH}/{{file}}"),
            get(|Path(name): Path<String>| async move { file(&name) }),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// One file of the reference, or a 404 problem.
fn file(name: &str) -> Response {
    let (bytes, content_type): (Cow<'static, [u8]>, Cow<'static, str>) = match name {
        "index.html" => (INDEX.as_bytes().into(), "text/html; charset=utf-8".into()),
        "campushub-docs.js" => (SCRIPT.as_bytes().into(), "text/javascript".into()),
        "campushub-docs.css" => (STYLE.as_bytes().into(), "text/css".into()),
        // Swagger UI's own page and initializer would point it at its demo document.
        "swagger-initializer.js" => return not_found(),
        _ => match utoipa_swagger_ui::serve(name, Arc::clone(&SWAGGER_CONFIG)) {
            Ok(Some(found)) => (found.bytes, found.content_type.into()),
            Ok(None) | Err(_) => return not_found(),
        },
    };
    // Swagger UI's files are compiled in: serve them from the binary without a copy.
    let body = match bytes {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The page changes with the server; Swagger UI's files only with a new build.
    let caching = if name == "index.html" || name.starts_with("campushub-docs") {
        "no-cache"
    } else {
        "public, max-age=86400"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    response
}

/// The answer for a file the reference does not have.
fn not_found() -> Response {
    Problem::new(StatusCode::NOT_FOUND, "the API reference has no such file").into_response()
}
