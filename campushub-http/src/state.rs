//! What the router is built from: the entity services and the pluggable parts around them.

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::config::HttpConfig;
use crate::health::ReadinessProbe;
use crate::identity::Identity;
use crate::metrics::{HttpMetrics, MetricsSource};
use crate::openapi::ResourceDoc;
use crate::rate_limit::{RateBudget, RateLimitLayer, RateLimits};
use crate::resource::ResourceRoutes;
use crate::trace_context::TraceContext;
use axum::Router;
use campushub_core::analytics::{Analytics, ServiceAnalytics};
use campushub_core::{AuditService, Entity, Policy};
use utoipa::openapi::Paths;

/// An application's resource, built when the router is: with the router's configuration.
pub(crate) type AddedResource =
    Box<dyn FnOnce(&crate::resource::Mounting) -> (ResourceDoc, Router) + Send + Sync>;

/// The four built-in entity services (defined in core, where [`ServiceAnalytics`] uses them).
pub use campushub_core::AppServices;

/// Everything [`crate::router`] needs. Start with [`ApiState::new`], then replace parts.
pub struct ApiState {
    /// The entity services.
    pub services: AppServices,
    /// Who is calling.
    pub authenticator: Arc<dyn Authenticator>,
    /// Analytics (default: [`ServiceAnalytics`] over the services).
    pub analytics: Arc<dyn Analytics>,
    /// Readiness probes; without one, `/readyz` probes the departments store as `primary`.
    pub probes: Vec<Arc<dyn ReadinessProbe>>,
    /// The prometheus-client registry `/metrics` encodes: request metrics and extra metric
    /// sources.
    pub metrics: Arc<HttpMetrics>,
    /// The policy for checks outside the services (analytics, metrics); default: the
    /// departments service's policy.
    pub policy: Arc<dyn Policy>,
    /// Limits and switches.
    pub config: HttpConfig,
    /// Distributed-trace propagation through the request span (default: none).
    pub trace_context: Option<Arc<dyn TraceContext>>,
    /// Accounts and sign-in ([`ApiState::identity`]): without it, no `/auth/` or `/users`
    /// route is served.
    pub identity: Option<Arc<Identity>>,
    /// The audit log's reader ([`ApiState::audit`]): without it, no `/audit` or `/history`
    /// route is served.
    pub audit: Option<Arc<AuditService>>,
    /// Rate limits on the `/api/` routes and `/metrics` ([`ApiState::rate_limit`]): without
    /// them, no request is limited.
    pub rate_limit: Option<RateLimitLayer>,
    /// Imports sent as jobs ([`ApiState::import_jobs`]): without them, an import asking for
    /// a job is refused and no `/import-jobs` route is served.
    #[cfg(feature = "exchange")]
    pub import_jobs: Option<crate::exchange::ImportJobs>,
    /// The application's own resources ([`ApiState::resource`]).
    pub(crate) added: Vec<AddedResource>,
    /// The application's own routes and their OpenAPI paths ([`ApiState::routes`]).
    pub(crate) routes: Vec<(Router, Paths)>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let probes: Vec<&str> = self.probes.iter().map(|probe| probe.name()).collect();
        f.debug_struct("ApiState")
            .field("services", &self.services)
            .field("probes", &probes)
            .field("metrics", &self.metrics)
            .field("config", &self.config)
            .field("added", &self.added.len())
            .field("routes", &self.routes.len())
            .field("trace_context", &self.trace_context.is_some())
            .field("identity", &self.identity)
            .field("audit", &self.audit.is_some())
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// The state for `services`, authenticating with `authenticator`, with defaults for the
    /// rest.
    pub fn new(services: AppServices, authenticator: Arc<dyn Authenticator>) -> Self {
        ApiState {
            analytics: Arc::new(ServiceAnalytics::new(services.clone())),
            policy: Arc::clone(services.departments.policy()),
            services,
            authenticator,
            probes: Vec::new(),
            metrics: Arc::new(HttpMetrics::new()),
            config: HttpConfig::default(),
            trace_context: None,
            identity: None,
            audit: None,
            rate_limit: None,
            #[cfg(feature = "exchange")]
            import_jobs: None,
            added: Vec::new(),
            routes: Vec::new(),
        }
    }

    /// Serves an application's own kind beside the built-in ones: its routes sit behind the
    /// same authentication and middleware, answer with the same problems, and appear in the
    /// OpenAPI document and the per-route metrics. The router's [`HttpConfig`] replaces the
    /// one `routes` was made with.
    pub fn resource<E: Entity>(mut self, routes: ResourceRoutes<E>) -> Self {
        self.added.push(Box::new(move |mounting| {
            let routes = routes.configured(mounting);
            (routes.doc(), routes.build())
        }));
        self
    }

    /// Serves an application's own routes beside the API: `router`'s routes sit behind the
    /// same authentication (a handler reads the caller with [`crate::Caller`]), rate limits,
    /// middleware and metrics as the built-in ones, answer an unrouted method with the same
    /// `405` problem, and `paths` (their OpenAPI path items, which must name the same route
    /// templates, such as `/api/v1/documents/{id}/content`) joins the served document, where
    /// the metrics layer also finds the templates it counts by. Handlers answer errors with
    /// [`crate::Problem`]; [`crate::openapi::operation`] documents them the same way.
    ///
    /// Their paths must not be routed already (axum panics when the router is built).
    /// Bodies up to [`HttpConfig::stream_body_limit`] reach a handler that reads its body as
    /// a stream; every extractor that buffers a body stays held to
    /// [`HttpConfig::body_limit`].
    pub fn routes(mut self, router: Router, paths: Paths) -> Self {
        let router = router.method_not_allowed_fallback(crate::routing::method_not_allowed);
        self.routes.push((router, paths));
        self
    }

    /// Serves user accounts (`/api/v1/users`) and sign-in (`/api/v1/auth/…`) with
    /// `identity`.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(Arc::new(identity));
        self
    }

    /// Runs large imports as jobs kept by `jobs` (`POST <collection>/import?async=true`
    /// answers `202`; `GET /api/v1/import-jobs[/{id}]` shows them) for every resource with
    /// exchange routes. Start the jobs' worker with [`crate::exchange::ImportJobs::spawn_worker`].
    #[cfg(feature = "exchange")]
    #[cfg_attr(docsrs, doc(cfg(feature = "exchange")))]
    pub fn import_jobs(mut self, jobs: crate::exchange::ImportJobs) -> Self {
        self.import_jobs = Some(jobs);
        self
    }

    /// Serves the audit log (`/api/v1/audit` and each resource's `/{id}/history`) from
    /// `audit`.
    pub fn audit(mut self, audit: AuditService) -> Self {
        self.audit = Some(Arc::new(audit));
        self
    }

    /// Holds the `/api/` routes and `/metrics` to `limits`, spending from `budget` (nothing
    /// is limited when `limits` are off), counting refusals in `/metrics`
    /// (`campushub_rate_limited_total`). The probes are never limited.
    pub fn rate_limit(mut self, budget: Arc<dyn RateBudget>, limits: RateLimits) -> Self {
        self.rate_limit = (!limits.is_off()).then(|| RateLimitLayer::new(budget, limits));
        if let Some(layer) = &self.rate_limit {
            self.metrics.register(|registry| layer.register(registry));
        }
        self
    }

    /// Uses `config`.
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses `analytics`.
    pub fn analytics(mut self, analytics: Arc<dyn Analytics>) -> Self {
        self.analytics = analytics;
        self
    }

    /// Adds a readiness probe.
    pub fn probe(mut self, probe: Arc<dyn ReadinessProbe>) -> Self {
        self.probes.push(probe);
        self
    }

    /// Adds a source of extra metrics (cache, pools, replicas) to `/metrics`: a
    /// [`MetricsSource`] (prometheus-client's `Collector`), read at each scrape. Metrics an
    /// application updates itself go in with [`HttpMetrics::register`].
    pub fn metrics_source(self, source: impl MetricsSource) -> Self {
        self.metrics.add_source(source);
        self
    }

    /// Propagates distributed traces with `context`: the request span joins the caller's
    /// trace and responses say which trace they belong to.
    pub fn trace_context(mut self, context: Arc<dyn TraceContext>) -> Self {
        self.trace_context = Some(context);
        self
    }

    /// Uses `policy` for checks outside the services.
    pub fn policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }
}
