//! Accepting and serving connections until a shutdown signal ([`shutdown_signal`]: SIGINT or
//! SIGTERM), then shutting down without losing a request:
//!
//! 1. **Drain** (`CAMPUSHUB_SHUTDOWN_DRAIN`, 0 by default): `/readyz` answers `503` while
//!    everything else is served as usual, so a load balancer stops routing here first.
//! 2. **Stop accepting**: the listener is closed, so a new connection is refused; only then
//!    are the open connections told, so a client that saw the shutdown on one connection
//!    cannot open another.
//! 3. **Close** (`CAMPUSHUB_SHUTDOWN_GRACE`, 35 s by default): connections between requests
//!    close at once, without reading a request the client may have sent meanwhile; a request
//!    in progress is answered with `Connection: close`, as is every response produced from
//!    then on. Every close is a lingering close (see [`super::linger`]).
//! 4. **Expire**: connections still serving a request when the grace runs out are dropped;
//!    such a request may have been carried out with no response sent, so they are counted and
//!    logged.
//!
//! Hence the retry rule of `docs/api.md`: a connection closed before any byte of the response
//! means the request was not processed.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::connection::{self, Phase, Shared};
use super::limits::ConnectionLimits;
use super::linger::LINGER;

/// How the server shuts down.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shutdown {
    /// How long `/readyz` answers `503` before the listener closes.
    pub drain: Duration,
    /// How long requests in progress may take to finish once the listener is closed.
    pub grace: Duration,
}

/// The connections being served, and what they watch.
struct Connections {
    tasks: JoinSet<()>,
    phase: watch::Sender<Phase>,
    shared: Arc<Shared>,
    limits: ConnectionLimits,
    /// Whether the last accept loop turn found the connection cap reached (logged once per
    /// episode).
    saturated: bool,
}

/// Serves `router` on `listener` until `signal` completes, then shuts down as described in
/// the module documentation; `draining` is set when the signal arrives (the `/readyz` probe
/// reads it).
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    signal: impl Future<Output = ()>,
    shutdown: Shutdown,
    limits: ConnectionLimits,
    shared: Arc<Shared>,
    draining: &AtomicBool,
) {
    let mut connections = Connections {
        tasks: JoinSet::new(),
        phase: watch::Sender::new(Phase::Serving),
        shared,
        limits,
        saturated: false,
    };
    accept_until(&listener, &router, &mut connections, signal).await;
    draining.store(true, Ordering::Relaxed);
    if !shutdown.drain.is_zero() {
        tracing::info!(drain = ?shutdown.drain, "shutting down: unready, still serving");
        let pause = tokio::time::sleep(shutdown.drain);
        accept_until(&listener, &router, &mut connections, pause).await;
    }
    drop(listener);
    let open = connections.tasks.len();
    tracing::info!(
        connections = open,
        "shutting down: not accepting; finishing requests in progress"
    );
    connections.shared.closing.store(true, Ordering::Release);
    connections.phase.send_replace(Phase::Closing);
    let tasks = &mut connections.tasks;
    let finished = tokio::time::timeout(shutdown.grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        expire(connections, shutdown.grace).await;
    }
}

/// Accepts connections until `until` completes; finished connection tasks are reaped as it
/// goes. The stop condition is polled first, so nothing is accepted once it is done. At the
/// connection cap nothing is accepted either (new connections wait in the listen backlog)
/// until a connection closes.
async fn accept_until(
    listener: &TcpListener,
    router: &Router,
    connections: &mut Connections,
    until: impl Future<Output = ()>,
) {
    let mut until = pin!(until);
    loop {
        let room = connections.tasks.len() < connections.limits.max_connections;
        if room == connections.saturated {
            connections.saturated = !room;
            if !room {
                tracing::warn!(
                    max = connections.limits.max_connections,
                    "connection cap reached: not accepting until a connection closes \
                     (CAMPUSHUB_MAX_CONNECTIONS)"
                );
            }
        }
        tokio::select! {
            biased;
            () = &mut until => return,
            Some(_) = connections.tasks.join_next(), if !connections.tasks.is_empty() => {}
            accepted = listener.accept(), if room => match accepted {
                Ok((stream, peer)) => {
                    connections.tasks.spawn(connection::serve(
                        stream,
                        peer,
                        router.clone(),
                        connections.phase.subscribe(),
                        Arc::clone(&connections.shared),
                        connections.limits.header_timeout,
                    ));
                }
                Err(error) => accept_failed(error).await,
            },
        }
    }
}

/// After a failed `accept`: a connection that went away before it was accepted is nothing;
/// anything else (out of file descriptors) is logged and waited out a little, instead of
/// spinning.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The grace ran out: drops every connection still open, counting the requests that were cut
/// off (each may have been carried out with no response sent).
async fn expire(connections: Connections, grace: Duration) {
    let Connections {
        mut tasks,
        phase,
        shared,
        ..
    } = connections;
    let open = tasks.len();
    phase.send_replace(Phase::Expired);
    // Each task returns as soon as it sees the phase; one that does not within the lingering
    // time is aborted.
    let _ =
        tokio::time::timeout(LINGER, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.shutdown().await;
    tracing::warn!(
        ?grace,
        connections = open,
        requests_cut_off = shared.interrupted.load(Ordering::Relaxed),
        "the shutdown grace period ran out; the requests cut off got no complete response and \
         may or may not have been carried out (raise CAMPUSHUB_SHUTDOWN_GRACE)"
    );
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
