//! [`AuthLayer`]: authenticates every request of the router it wraps, answering 401 problems
//! for missing or invalid credentials.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures::future::{ready, Either, Ready};
use tower::{Layer, Service};

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use campushub_core::{Principal, RequestOrigin};

use super::Authenticator;
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

impl<S> Service<Request> for AuthService<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match self.authenticator.authenticate(request.headers()) {
            Ok(principal) => {
                let principal = with_origin(principal, &request);
                request.extensions_mut().insert(principal);
                Either::Right(self.inner.call(request))
            }
            Err(error) => Either::Left(ready(Ok(Problem::from(&error).into_response()))),
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
