//! [`AuthLayer`]: authenticates every request of the router it wraps, answering 401 problems
//! for missing or invalid credentials.
//!
//! A request whose authentication is decided at once (every API key, every token verified
//! before or with a known key) goes straight on with no allocation; one that waits for I/O
//! (an identity provider's new key) is boxed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use futures::future::{ready, BoxFuture, Either, Ready};
use futures::FutureExt;
use tower::{Layer, Service};

use campushub_core::{Principal, RequestOrigin};

use super::{Authentication, Authenticator};
use crate::headers::REQUEST_ID;
use crate::problem::Problem;

/// Requires valid credentials; puts the [`campushub_core::Principal`] into the request's
/// extensions.
#[derive(Clone)]
pub struct AuthLayer {
    authenticator: Arc<dyn Authenticator>,
}

impl AuthLayer {
    /// Authenticates with `authenticator`.
    pub fn new(authenticator: Arc<dyn Authenticator>) -> Self {
        AuthLayer { authenticator }
    }
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: Arc::clone(&self.authenticator),
        }
    }
}

/// The service [`AuthLayer`] makes.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Arc<dyn Authenticator>,
}

impl<S> std::fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

/// The answer to a request refused before it reached the router.
fn refused<E>(error: &campushub_core::Error) -> Ready<Result<Response, E>> {
    ready(Ok(Problem::from(error).into_response()))
}

impl<S> Service<Request> for AuthService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<
        Ready<Result<Response, S::Error>>,
        Either<S::Future, BoxFuture<'static, Result<Response, S::Error>>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match self.authenticator.authentication(request.headers()) {
            Authentication::Ready(Ok(principal)) => {
                let principal = with_origin(principal, &request);
                request.extensions_mut().insert(principal);
                Either::Right(Either::Left(self.inner.call(request)))
            }
            Authentication::Ready(Err(error)) => Either::Left(refused(&error)),
            Authentication::Pending(pending) => {
                // The service polled ready is the one that must be called: take it, and
                // leave a fresh clone for the next request (tower's documented pattern).
                let fresh = self.inner.clone();
                let mut ready_inner = std::mem::replace(&mut self.inner, fresh);
                let later = async move {
                    match pending.await {
                        Ok(principal) => {
                            let principal = with_origin(principal, &request);
                            request.extensions_mut().insert(principal);
                            ready_inner.call(request).await
                        }
                        Err(error) => refused(&error).await,
                    }
                };
                Either::Right(Either::Right(later.boxed()))
            }
        }
    }
}

/// `principal`, making `request`: its id (the request-id layer, outside this one, has set
/// it) and the connection's peer address, which the audit log records. What the
/// authenticator already said about the origin stands.
fn with_origin(principal: Principal, request: &Request) -> Principal {
    let known = principal.origin.clone();
    let request_id = known.request_id.or_else(|| {
        request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    let client_address = known.client_address.or_else(|| {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string())
    });
    principal.with_origin(RequestOrigin {
        request_id,
        client_address,
    })
}
