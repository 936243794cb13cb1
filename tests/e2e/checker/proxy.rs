//! A TCP relay between one instance and Redis that the checker can cut: Redis becomes
//! unreachable from that instance only (a partition), while the other keeps using it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A relay on a loopback port of its own.
pub struct Proxy {
    /// The port the instance connects to instead of Redis'.
    pub port: u16,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

struct State {
    /// Refuse new connections (accept and close them at once).
    cut: AtomicBool,
    /// Bumped by a cut: every relayed connection watching it closes.
    epoch: watch::Sender<u64>,
}

impl Proxy {
    /// Starts relaying connections to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the Redis relay");
        let port = listener.local_addr().expect("bound").port();
        let state = Arc::new(State {
            cut: AtomicBool::new(false),
            epoch: watch::channel(0).0,
        });
        let accept = tokio::spawn(accept_loop(listener, upstream, state.clone()));
        Proxy {
            port,
            state,
            accept,
        }
    }

    /// Drops every relayed connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        self.state.epoch.send_modify(|epoch| *epoch += 1);
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, state: Arc<State>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            // Out of descriptors or the like: wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        // Accepting and closing at once looks to the client like a refusal: its connection
        // is reset before any Redis reply, as through a firewall that rejects.
        if state.cut.load(Ordering::SeqCst) {
            drop(inbound);
            continue;
        }
        let cut = state.epoch.subscribe();
        tokio::spawn(relay(inbound, upstream, cut));
    }
}

async fn relay(mut inbound: TcpStream, upstream: SocketAddr, mut cut: watch::Receiver<u64>) {
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = cut.changed() => {}
    }
}
