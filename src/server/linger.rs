//! A TCP stream whose shutdown is a lingering close: the write half is shut (FIN after the
//! last response byte), then whatever the client still sends is read and discarded until it
//! closes its side or [`LINGER`] passes.
//!
//! Why: closing a socket that has unread data, or that receives data after `close`, makes the
//! kernel answer with a reset, which also discards the part of the last response still in the
//! send buffer. A client that pipelined a request, or sent one just before it saw
//! `Connection: close` or our FIN, would then lose the response of a request that *was*
//! processed. hyper itself shuts the write half and drops the socket at once, so the server
//! serves every connection over this stream instead; hyper calls `poll_shutdown` (after
//! flushing its buffer) whenever it closes a connection, so the cost is paid at close only.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// How long a closing connection keeps reading (and discarding) what the client sends: enough
/// for the client to read our last response and close on a loaded link, short enough not to
/// hold a shutdown (Apache uses 2 s as well).
pub(super) const LINGER: Duration = Duration::from_secs(2);

/// A served TCP connection.
pub(super) struct Lingering {
    stream: TcpStream,
    /// Whether the write half is shut (the lingering close has begun).
    shut: bool,
    /// When the lingering close gives up; set only once draining has to wait (most clients
    /// have closed already, and that needs no timer).
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Lingering {
    /// Wraps an accepted connection.
    pub(super) fn new(stream: TcpStream) -> Self {
        Lingering {
            stream,
            shut: false,
            deadline: None,
        }
    }

    /// Reads and discards until end of stream (`Ready`) or until nothing is there (`Pending`);
    /// a client that keeps sending gets a few reads per poll, then the task yields.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut scratch = [MaybeUninit::<u8>::uninit(); 512];
        for _ in 0..16 {
            let mut buf = ReadBuf::uninit(&mut scratch);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(()),
                Poll::Ready(Ok(())) => {}
                // Reset by the client: nothing of ours is left to protect.
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    /// The lingering close; always ends `Ok` once the write half is shut, since what follows
    /// only protects the client's copy of bytes already sent.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.shut {
            // FIN after the last byte: the client reads the whole response, then end of stream.
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.shut = true;
        }
        if this.drain(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(LINGER)));
        deadline.as_mut().poll(cx).map(Ok)
    }
}
