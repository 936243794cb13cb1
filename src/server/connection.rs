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
//!
//! Bounds (see [`super::limits`]): hyper closes a connection whose request headers do not
//! arrive within the header timeout (its timer runs whenever it waits for a request, so it is
//! the idle keep-alive bound too), and a request beyond the server's cap on requests in
//! progress is answered `503` with `Retry-After` here, without reaching the router.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::future::{ready, Either, Ready};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::Service;

use super::linger::Lingering;
use crate::http::metrics::{encode_counters, encode_gauges};
use crate::http::problem::Problem;
use crate::http::prometheus_client::collector::Collector;
use crate::http::prometheus_client::encoding::DescriptorEncoder;

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
    /// Requests in progress over every connection.
    pub in_flight: AtomicUsize,
    /// The most requests in progress; beyond it requests are answered `503`.
    max_in_flight: usize,
    /// Requests answered `503` because `max_in_flight` were in progress.
    pub shed: AtomicUsize,
}

/// `/metrics`: requests in progress and requests turned away at the cap.
#[derive(Debug)]
pub(super) struct InFlightMetrics(pub Arc<Shared>);

impl Collector for InFlightMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let shared = &self.0;
        let shed = shared.shed.load(Ordering::Relaxed) as u64;
        let help =
            "Requests answered 503 at once because CAMPUSHUB_MAX_IN_FLIGHT were in progress.";
        encode_counters(
            &mut encoder,
            "campushub_http_requests_shed",
            help,
            [(NO_LABELS, shed)],
        )?;
        let in_flight = shared.in_flight.load(Ordering::Relaxed) as i64;
        let help = "Requests in progress over every connection.";
        encode_gauges(
            &mut encoder,
            "campushub_http_requests_in_flight",
            help,
            None,
            [(NO_LABELS, in_flight)],
        )
    }
}

/// The label set of a sample without labels.
const NO_LABELS: [(&str, &str); 0] = [];

impl Shared {
    /// Shared state for a server that runs at most `max_in_flight` requests at once.
    pub(super) fn new(max_in_flight: usize) -> Self {
        Shared {
            max_in_flight,
            ..Shared::default()
        }
    }
}

/// Serves `stream` with `router` until the connection ends or `phase` says to stop. A request
/// still running when the grace period expires is counted in `shared`.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    mut phase: watch::Receiver<Phase>,
    shared: Arc<Shared>,
    header_timeout: Duration,
) {
    let tracker = Arc::new(Tracker {
        busy: AtomicUsize::new(0),
        shared,
    });
    let service = Counted {
        router,
        tracker: Arc::clone(&tracker),
        peer: ConnectInfo(peer),
    };
    let io = TokioIo::new(Lingering::new(stream));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut connection = pin!(builder.serve_connection(io, service));
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
    /// The client's address, given to each request (the login throttle counts by it).
    peer: ConnectInfo<SocketAddr>,
}

impl hyper::service::Service<Request<Incoming>> for Counted {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        Ready<Result<Response, Infallible>>,
        CountedFuture<<Router as Service<Request<Incoming>>>::Future>,
    >;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(self.peer);
        let shared = &self.tracker.shared;
        if shared.in_flight.fetch_add(1, Ordering::Relaxed) >= shared.max_in_flight {
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            shared.shed.fetch_add(1, Ordering::Relaxed);
            return Either::Left(ready(Ok(overloaded())));
        }
        self.tracker.busy.fetch_add(1, Ordering::Relaxed);
        // A `Router` is always ready (its `poll_ready` does nothing), as axum's own server
        // assumes when it calls a clone of it per request.
        let future = self.router.clone().call(request);
        Either::Right(CountedFuture {
            future,
            busy: Busy(Arc::clone(&self.tracker)),
        })
    }
}

/// The answer to a request beyond the cap on requests in progress: nothing was done, so the
/// client may retry, after a second.
fn overloaded() -> Response {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is at its limit of requests in progress (CAMPUSHUB_MAX_IN_FLIGHT); \
         nothing was done: retry after a second",
    );
    let mut response = problem.into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
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
        self.0.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
