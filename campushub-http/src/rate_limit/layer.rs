//! [`RateLimitLayer`]: spends each request's budget before the route runs.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use campushub_core::rate_limit::{Decision, RateBudget};
use futures::future::BoxFuture;
use futures::FutureExt;
use tower::{Layer, Service};

use super::{headers, RateLimits};

/// Holds each request to its quota ([`RateLimits`]) in `budget`. Put it inside the auth
/// layer, so that it sees the principal.
#[derive(Clone)]
pub struct RateLimitLayer {
    budget: Arc<dyn RateBudget>,
    limits: Arc<RateLimits>,
}

impl RateLimitLayer {
    /// Limits with `limits`, spending from `budget`.
    pub fn new(budget: Arc<dyn RateBudget>, limits: RateLimits) -> Self {
        RateLimitLayer {
            budget,
            limits: Arc::new(limits),
        }
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
        }
    }
}

/// The service [`RateLimitLayer`] makes.
#[derive(Clone)]
pub struct RateLimitService<S> {
    inner: S,
    budget: Arc<dyn RateBudget>,
    limits: Arc<RateLimits>,
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
                Decision::Limited { retry_after } => Ok(headers::too_many(
                    &applied.policy,
                    applied.quota,
                    retry_after,
                )),
            }
        }
        .boxed()
    }
}
