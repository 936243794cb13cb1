//! Router configuration: limits, timeouts and what is open without credentials.

use std::time::Duration;

use campushub_core::query::MAX_PAGE_SIZE;
use campushub_core::service::MAX_BULK_ROWS;

use crate::conditional::RequireIfMatch;
use crate::cors::CorsOrigins;

/// Limits and switches of the router. `Default` gives production-ready values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes (413 beyond). Default 1 MiB.
    pub body_limit: usize,
    /// Longest a request may take before it is answered with a 408 problem. Default 30 s.
    pub request_timeout: Duration,
    /// Largest `page_size` accepted (400 beyond); at most core's `MAX_PAGE_SIZE`. Default 200.
    pub max_page_size: u32,
    /// Most rows one bulk call accepts (413 beyond). Default core's `MAX_BULK_ROWS` (1000).
    pub max_bulk_rows: usize,
    /// Whether `/metrics` is open to anyone (true) or needs a principal the policy allows to
    /// read metrics, by default `admin` (false, the default).
    pub metrics_public: bool,
    /// How long one readiness probe may take before it counts as failed. Default 2 s.
    pub probe_timeout: Duration,
    /// Origins allowed to call the API from a browser (CORS). Default none: no CORS headers.
    pub cors: CorsOrigins,
    /// Which resources answer `428 Precondition Required` to a `PUT`, `PATCH` or `DELETE`
    /// without `If-Match`. Default none; [`ResourceRoutes::require_if_match`] decides for
    /// one resource over this.
    ///
    /// [`ResourceRoutes::require_if_match`]: crate::ResourceRoutes::require_if_match
    pub require_if_match: RequireIfMatch,
    /// Largest body a route that reads its body as a stream may be sent (an application's
    /// own routes, [`crate::ApiState::routes`], such as a document upload that checks its own
    /// limit as it reads), in bytes; beyond it the body is cut off with a `413`. It only
    /// raises the outer cap: every extractor that buffers a body stays held to
    /// [`HttpConfig::body_limit`]. Default 1 MiB (no route reads more than `body_limit`).
    pub stream_body_limit: usize,
    /// Limits of spreadsheet imports (feature `exchange`); their files may be larger than
    /// [`HttpConfig::body_limit`], which keeps bounding every other body.
    pub imports: ImportLimits,
}

/// What an import accepts: beyond a limit, a `413` (file size, rows) or a `400` (a cell, an
/// XLSX that would unpack too large) naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file, in bytes. Default 32 MiB.
    pub max_file_bytes: usize,
    /// Most data rows. Default 100,000.
    pub max_rows: usize,
    /// Longest cell, in characters. Default 10,000.
    pub max_cell_chars: usize,
    /// Largest total an XLSX file's parts may unpack to, in bytes (a zip bomb is refused
    /// before it is unpacked). Default 256 MiB.
    pub max_unpacked_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_file_bytes: 32 * 1024 * 1024,
            max_rows: 100_000,
            max_cell_chars: 10_000,
            max_unpacked_bytes: 256 * 1024 * 1024,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_page_size: MAX_PAGE_SIZE,
            max_bulk_rows: MAX_BULK_ROWS,
            metrics_public: false,
            probe_timeout: Duration::from_secs(2),
            cors: CorsOrigins::None,
            require_if_match: RequireIfMatch::Off,
            stream_body_limit: 1024 * 1024,
            imports: ImportLimits::default(),
        }
    }
}
