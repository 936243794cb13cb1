//! The names of the headers the API defines, in one leaf module: the middleware, CORS,
//! authentication and the consistency extractor all read them, and none of those modules
//! needs another for a name.

use axum::http::HeaderName;

/// The header carrying an API key.
pub static API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// The read-your-writes token: written on every write response, read on requests.
pub static CONSISTENCY_TOKEN: HeaderName = HeaderName::from_static("consistency-token");

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
