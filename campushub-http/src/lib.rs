//! # campushub-http
//!
//! The optional axum router of CampusHub: the university ERP's REST API over
//! `campushub-core`'s entity services, with authentication, problem+json errors, ETags,
//! read-your-writes tokens, statistics, bulk operations, analytics, health, metrics and an
//! OpenAPI document.
//!
//! Why a library and not only a server: an application mounts [`router`] inside its own axum
//! app (under any prefix, with `Router::nest`) and keeps its own routes beside it; each piece
//! ([`AuthLayer`], [`MetricsLayer`], [`openapi::document`], [`ResourceRoutes`] for a kind of its
//! own) is usable alone. The router talks to storage and cache only through core's traits.
//!
//! | route | what |
//! |---|---|
//! | `/api/v1/{departments,students,faculty,custom-fields}[/{id}]` | list, create, retrieve, replace, patch, delete |
//! | `/api/v1/{students,faculty,departments}/stats` | counts grouped by the kind's statistics fields |
//! | `/api/v1/{students,faculty}/bulk-{create,update,delete}` | bulk writes keyed by the natural key |
//! | `/api/v1/analytics/{summary,departments}` | cross-kind figures |
//! | `/healthz`, `/readyz`, `/metrics`, `/api/v1/openapi.json` | operations |
//! | `/docs/` | the interactive API reference (feature `docs-ui`) |
//!
//! See `docs/api.md` for the wire contract (errors, pagination, ETags, the consistency token).
//!
//! ## Example
//!
//! ```
//! use std::sync::Arc;
//! use campushub_core::memory::MemoryStore;
//! use campushub_core::EntityService;
//! use campushub_http::{router, ApiState, AppServices, Credentials, JwtVerifier};
//!
//! let store = MemoryStore::new();
//! let definitions: Arc<dyn campushub_core::Repository<campushub_core::CustomFieldDef>> =
//!     Arc::new(store.repository());
//! let services = AppServices {
//!     departments: EntityService::builder(Arc::new(store.repository())).custom_fields(definitions.clone()).build(),
//!     students: EntityService::builder(Arc::new(store.repository())).custom_fields(definitions.clone()).build(),
//!     faculty: EntityService::builder(Arc::new(store.repository())).custom_fields(definitions.clone()).build(),
//!     custom_fields: EntityService::builder(definitions).build(),
//! };
//! let credentials = Credentials::new().jwt(JwtVerifier::hs256(b"a long random secret of 32+ bytes")?);
//! let app: axum::Router = router(ApiState::new(services, Arc::new(credentials)));
//! let mounted: axum::Router = axum::Router::new().nest("/erp", app);
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use tower::ServiceExt;
//! let health = mounted.clone().oneshot(Request::get("/erp/healthz").body(Body::empty())?).await?;
//! assert_eq!(health.status(), StatusCode::OK);
//! let anonymous = mounted.oneshot(Request::get("/erp/api/v1/students").body(Body::empty())?).await?;
//! assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `docs-ui`: `/docs/`, an interactive API reference (Swagger UI, its files compiled in)
//!   over the served document. Off by default (it adds about 10 MB to a binary); the
//!   `campushub` facade's `server` feature turns it on.
//! - `oidc`: [`OidcProvider`], the access tokens of an OpenID Connect identity provider
//!   (Keycloak, Entra ID, Google), its keys fetched over HTTPS (reqwest on rustls). Off by
//!   default; the `server` feature turns it on.

// docs.rs (`--cfg docsrs`, see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod analytics;
mod audit;
pub mod auth;
pub mod bulk;
mod client_address;
pub mod conditional;
pub mod config;
pub mod consistency;
pub mod cors;
#[cfg(feature = "docs-ui")]
#[cfg_attr(docsrs, doc(cfg(feature = "docs-ui")))]
pub mod docs_ui;
pub mod etag;
#[cfg(feature = "exchange")]
#[cfg_attr(docsrs, doc(cfg(feature = "exchange")))]
pub mod exchange;
pub mod extract;
pub mod headers;
pub mod health;
pub mod identity;
pub mod list;
pub mod metrics;
pub mod middleware;
pub mod nested;
pub mod openapi;
mod private_responses;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod request_span;
pub mod resource;
mod routes;
mod routing;
pub mod state;
pub mod trace_context;

pub use analytics::{Analytics, AnalyticsSummary, DepartmentAnalytics, ServiceAnalytics};
pub use auth::{
    ApiKeys, AuthLayer, Authentication, Authenticator, Caller, Claims, Credentials, JwtVerifier,
    TokenMinter,
};
#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub use auth::{ClaimMapping, OidcProvider, OidcProviderBuilder};
pub use bulk::BulkKeys;
pub use conditional::RequireIfMatch;
pub use config::{HttpConfig, ImportLimits};
pub use cors::CorsOrigins;
pub use health::{ProbeStatus, ReadinessProbe, StoreProbe};
pub use identity::Identity;
pub use metrics::{Exposition, HttpMetrics, MetricsLayer, MetricsSource};
pub use nested::Nested;
pub use problem::Problem;
/// The Prometheus client `/metrics` is built on, for an application's own metrics and
/// [`MetricsSource`]s (the same version as ours).
pub use prometheus_client;
pub use rate_limit::{RateLimitLayer, RateLimits};
pub use resource::ResourceRoutes;
pub use routes::router;
pub use state::{ApiState, AppServices};
pub use trace_context::TraceContext;
/// The OpenAPI library the document is built with, for the paths of an application's own
/// routes ([`ApiState::routes`]; the same version as ours).
pub use utoipa;
