//! [`RateLimitLayer`]: spends each request's budget before the route runs.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use campushub_core::rate_limit::{Decision, RateBudget};
use futures::future::BoxFuture;
use futures::FutureExt;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tower::{Layer, Service};

use super::{headers, RateLimits};

/// The label of a refusal: which kind of quota refused it.
type ScopeLabel = [(&'static str, &'static str); 1];

/// The scopes a refusal is counted under, each series present from the start at 0.
const SCOPES: [&str; 3] = ["principal", "role", "address"];

/// Holds each request to its quota ([`RateLimits`]) in `budget`. Put it inside the auth
/// layer, so that it sees the principal.
#[derive(Clone)]
pub struct RateLimitLayer {
    budget: Arc<dyn RateBudget>,
    limits: Arc<RateLimits>,
    limited: Family<ScopeLabel, Counter>,
}

impl RateLimitLayer {
    /// Limits with `limits`, spending from `budget`.
    pub fn new(budget: Arc<dyn RateBudget>, limits: RateLimits) -> Self {
        let limited = Family::<ScopeLabel, Counter>::default();
        for scope in SCOPES {
            // Creates the series at 0, so that a rate over it is 0 rather than absent.
            let _ = limited.get_or_create(&[("scope", scope)]);
        }
        RateLimitLayer {
            budget,
            limits: Arc::new(limits),
            limited,
        }
    }

    /// Registers `campushub_rate_limited_total{scope}` (requests refused with `429`, by the
    /// kind of quota that refused them: `principal`, `role` or `address`) in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "campushub_rate_limited",
            "Requests refused with 429 over their rate limit, by the quota's scope",
            self.limited.clone(),
        );
    }

    /// The quotas.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }
}

impl std::fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("budget", &self.budget)
            .field("limits", &self.limits)
            .finish()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            budget: Arc::clone(&self.budget),
            limits: Arc::clone(&self.limits),
            limited: self.limited.clone(),
        }
    }
}

/// The service [`RateLimitLayer`] makes.
#[derive(Clone)]
pub struct RateLimitService<S> {
    inner: S,
    budget: Arc<dyn RateBudget>,
    limits: Arc<RateLimits>,
    limited: Family<ScopeLabel, Counter>,
}

impl<S> std::fmt::Debug for RateLimitService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitService").finish_non_exhaustive()
    }
}

impl<S> Service<Request> for RateLimitService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let Some(applied) = self.limits.applied(request.headers(), request.extensions()) else {
            return self.inner.call(request).boxed();
        };
        // The service polled ready is the one to call: take it, leave a fresh clone.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let budget = Arc::clone(&self.budget);
        let limited = self.limited.clone();
        async move {
            match budget.spend(&applied.key, applied.quota).await {
                Decision::Allowed { remaining, reset } => {
                    let mut response = inner.call(request).await?;
                    headers::insert(
                        response.headers_mut(),
                        &applied.policy,
                        applied.quota,
                        remaining,
                        reset,
                    );
                    Ok(response)
                }
                Decision::Limited { retry_after } => {
                    limited.get_or_create(&[("scope", applied.scope)]).inc();
                    Ok(headers::too_many(
                        &applied.policy,
                        applied.quota,
                        retry_after,
                    ))
                }
            }
        }
        .boxed()
    }
}
