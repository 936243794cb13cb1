//! [`HttpMetrics`]: the router's prometheus-client [`Registry`] with the per-route request
//! series, and whatever sources the application adds.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::registry::{Registry, Unit};

use super::format::Exposition;
use super::route::{normalize, RequestFamilies, RouteMetrics};

/// The metrics registry of one router. Cheap to share (`Arc`).
pub struct HttpMetrics {
    /// Encoding reads it; only registration writes.
    registry: RwLock<Registry>,
    families: RequestFamilies,
    routes: RwLock<BTreeMap<String, Arc<RouteMetrics>>>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let families = RequestFamilies::new();
        let mut registry = Registry::default();
        registry.register(
            "http_requests",
            "Requests answered, by route template and status",
            families.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer, by route template and status",
            Unit::Seconds,
            families.durations.clone(),
        );
        HttpMetrics {
            registry: RwLock::new(registry),
            families,
            routes: RwLock::default(),
        }
    }
}

impl HttpMetrics {
    /// A registry with the request series (`http_requests_total`,
    /// `http_request_duration_seconds`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers metrics of the application's own in the registry `/metrics` encodes: keep
    /// clones of what `with` registers and update them. (prometheus-client ends each help
    /// text with a period.)
    pub fn register(&self, with: impl FnOnce(&mut Registry)) {
        if let Ok(mut registry) = self.registry.write() {
            with(&mut registry);
        }
    }

    /// Adds a source read at each scrape ([`Collector`]: cache tiers, pools, replica lag).
    pub fn add_source(&self, source: impl Collector) {
        self.register(|registry| registry.register_collector(Box::new(source)));
    }

    /// The metrics of `template` (trailing slash ignored), registering it if needed.
    pub(crate) fn route(&self, template: &str) -> Arc<RouteMetrics> {
        let template = normalize(template);
        if let Some(found) = self
            .routes
            .read()
            .ok()
            .and_then(|routes| routes.get(template).cloned())
        {
            return found;
        }
        let made = || Arc::new(RouteMetrics::new(template, self.families.clone()));
        match self.routes.write() {
            Ok(mut routes) => Arc::clone(routes.entry(template.to_owned()).or_insert_with(made)),
            Err(_) => made(),
        }
    }

    /// The route templates registered so far, sorted: after [`crate::router`], every route of
    /// the router and `unmatched`. Other per-route counters can pre-register these to keep
    /// their hot path lock-free.
    pub fn templates(&self) -> Vec<String> {
        self.routes
            .read()
            .map(|routes| routes.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// An immutable lookup table for `templates`, for the lock-free hot path.
    pub(crate) fn snapshot<'a>(
        &self,
        templates: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, Arc<RouteMetrics>> {
        templates
            .into_iter()
            .map(|t| (normalize(t).to_owned(), self.route(t)))
            .collect()
    }

    /// Everything, in `format`.
    pub fn encode(&self, format: Exposition) -> String {
        let mut out = String::with_capacity(16 * 1024);
        if let Ok(registry) = self.registry.read() {
            // Writing to a String fails only if a collector fails; what it wrote stays.
            if let Err(error) = format.encode(&mut out, &registry) {
                tracing::warn!(%error, "a metrics source failed to encode");
            }
        }
        out
    }

    /// Everything, in the Prometheus text format (0.0.4).
    pub fn render(&self) -> String {
        self.encode(Exposition::Prometheus)
    }
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics").finish_non_exhaustive()
    }
}
