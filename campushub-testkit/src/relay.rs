//! [`Relay`]: a cuttable, redirectable TCP relay for fault-injection tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP relay on a loopback port of its own, forwarding each connection to the current
/// upstream (`host:port`). Stops relaying when dropped.
#[derive(Debug)]
pub struct Relay {
    port: u16,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    /// Where new connections go.
    upstream: Mutex<String>,
    /// Refuse new connections (accept and close them at once).
    cut: AtomicBool,
    /// Bumped to close every relayed connection (a cut or a redirect).
    epoch: watch::Sender<u64>,
}

impl State {
    fn upstream(&self) -> std::sync::MutexGuard<'_, String> {
        // Only ever replaced whole: a panic cannot leave it half-written.
        self.upstream.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn close_all(&self) {
        self.epoch.send_modify(|epoch| *epoch += 1);
    }
}

impl Relay {
    /// Starts relaying connections to `upstream` (`host:port`).
    ///
    /// # Panics
    /// If no loopback port can be bound (a test environment failure).
    pub async fn start(upstream: impl Into<String>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the relay");
        let port = listener.local_addr().expect("a bound listener").port();
        let state = Arc::new(State {
            upstream: Mutex::new(upstream.into()),
            cut: AtomicBool::new(false),
            epoch: watch::channel(0).0,
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Relay {
            port,
            state,
            accept,
        }
    }

    /// `127.0.0.1:<port>`: put it in the client's URL instead of the service's address.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Closes every relayed connection and refuses new ones (accepted and closed before any
    /// byte, as through a firewall that rejects) until [`Relay::restore`] or
    /// [`Relay::redirect`].
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        self.state.close_all();
    }

    /// Relays new connections again (after [`Relay::cut`]).
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }

    /// Closes every relayed connection and sends new ones to `upstream`: to the client, the
    /// service went down and came back as another server.
    pub fn redirect(&self, upstream: impl Into<String>) {
        *self.state.upstream() = upstream.into();
        self.state.close_all();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            // Out of descriptors or the like: wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        if state.cut.load(Ordering::SeqCst) {
            drop(inbound);
            continue;
        }
        let upstream = state.upstream().clone();
        let closed = state.epoch.subscribe();
        tokio::spawn(relay(inbound, upstream, closed));
    }
}

async fn relay(mut inbound: TcpStream, upstream: String, mut closed: watch::Receiver<u64>) {
    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = closed.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that answers every connection with `greeting` and closes it.
    async fn greeter(greeting: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("bound").to_string();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.write_all(greeting).await;
            }
        });
        address
    }

    async fn read_through(relay: &Relay) -> Vec<u8> {
        let mut stream = TcpStream::connect(relay.address()).await.expect("accepted");
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got).await;
        got
    }

    #[tokio::test]
    async fn relays_refuses_while_cut_and_redirects() {
        let relay = Relay::start(greeter(b"one").await).await;
        assert_eq!(read_through(&relay).await, b"one");
        relay.cut();
        assert!(
            read_through(&relay).await.is_empty(),
            "closed before any byte"
        );
        relay.restore();
        assert_eq!(read_through(&relay).await, b"one");
        relay.redirect(greeter(b"two").await);
        assert_eq!(read_through(&relay).await, b"two");
    }

    #[tokio::test]
    async fn a_cut_closes_open_connections() {
        // A server that never answers: the relayed connection stays open until cut.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("bound").to_string();
        let server = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let relay = Relay::start(address).await;
        let mut stream = TcpStream::connect(relay.address()).await.expect("accepted");
        let _held = server.await.expect("the server task").expect("relayed");
        relay.cut();
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the cut closes the connection");
        assert!(matches!(read, Ok(0) | Err(_)));
    }
}
