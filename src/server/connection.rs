//! One HTTP/1 connection: served by hyper until it ends, told to finish when the shutdown
//! begins, dropped when the grace period runs out, and closed with a lingering close.
//!
//! The shutdown is hyper's: once told, a connection between requests closes without reading
//! anything more (a request the client sent meanwhile is never processed, and gets no byte of
//! a response), and a connection in the middle of a request finishes it, answers with
//! `Connection: close`, then closes. The phase is checked before the connection is polled
//! (`biased`); and since one poll of hyper's may read and answer a request that arrived while
//! it ran, every response produced once the listener closed gets `Connection: close` from
//! here too (one atomic load per request), so hyper closes the connection after it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::header::CONNECTION;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::Service;

use super::linger::Lingering;

/// Where the server is in its life; every connection watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Serving, keep-alive as usual.
    Serving,
    /// Shutting down: finish the request in progress, with `Connection: close`, then close.
    Closing,
    /// The grace period ran out: drop the connection now.
    Expired,
}

/// What the server shares with every connection.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Set when the listener closes: every response produced from then on says
    /// `Connection: close`.
    pub closing: AtomicBool,
    /// Requests cut off when the grace period ran out.
    pub interrupted: AtomicUsize,
}

/// Serves `stream` with `router` until the connection ends or `phase` says to stop. A request
/// still running when the grace period expires is counted in `shared`.
pub(super) async fn serve(
    stream: TcpStream,
    router: Router,
    mut phase: watch::Receiver<Phase>,
    shared: Arc<Shared>,
) {
    let tracker = Arc::new(Tracker {
        busy: AtomicUsize::new(0),
        shared,
    });
    let service = Counted {
        router,
        tracker: Arc::clone(&tracker),
    };
    let io = TokioIo::new(Lingering::new(stream));
    let mut connection = pin!(http1::Builder::new().serve_connection(io, service));
    let mut watching = true;
    loop {
        tokio::select! {
            biased;
            changed = phase.changed(), if watching => {
                if changed.is_err() {
                    // The server is gone without saying; its tasks are aborted with it.
                    watching = false;
                    continue;
                }
                match *phase.borrow_and_update() {
                    Phase::Serving => {}
                    Phase::Closing => connection.as_mut().graceful_shutdown(),
                    Phase::Expired => {
                        let busy = tracker.busy.load(Ordering::Relaxed);
                        tracker.shared.interrupted.fetch_add(busy, Ordering::Relaxed);
                        return;
                    }
                }
            }
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
        }
    }
}

/// A connection's requests in progress, and what the server shares.
struct Tracker {
    busy: AtomicUsize,
    shared: Arc<Shared>,
}

/// The router, counting this connection's requests in progress (a counter per connection: no
/// cache line written on the hot path is shared between connections).
#[derive(Clone)]
struct Counted {
    router: Router,
    tracker: Arc<Tracker>,
}

impl hyper::service::Service<Request<Incoming>> for Counted {
    type Response = Response;
    type Error = Infallible;
    type Future = CountedFuture<<Router as Service<Request<Incoming>>>::Future>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.tracker.busy.fetch_add(1, Ordering::Relaxed);
        // A `Router` is always ready (its `poll_ready` does nothing), as axum's own server
        // assumes when it calls a clone of it per request.
        let future = self.router.clone().call(request);
        CountedFuture {
            future,
            busy: Busy(Arc::clone(&self.tracker)),
        }
    }
}

/// A request's response future, counted as in progress until it completes or is dropped.
struct CountedFuture<F> {
    future: F,
    busy: Busy,
}

impl<F> Future for CountedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut response = std::task::ready!(Pin::new(&mut self.future).poll(cx))?;
        if self.busy.0.shared.closing.load(Ordering::Acquire) {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        Poll::Ready(Ok(response))
    }
}

/// One request in progress on a connection.
struct Busy(Arc<Tracker>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}
