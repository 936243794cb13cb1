//! A raw HTTP/1.1 client on one TCP connection, for the shutdown tests: it writes requests as
//! given (pipelined if asked) and reports exactly how much of each response arrived and how
//! the connection ended, which a pooled client hides (it retries and reconnects).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// How long one response may take to arrive before the test fails: generous, for a loaded
/// machine; no test asserts on how long anything took.
const READ_LIMIT: Duration = Duration::from_secs(60);

/// A complete response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether it says `Connection: close`.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How waiting for one response ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A complete response arrived.
    Response(RawResponse),
    /// The connection ended (end of stream or reset) before any byte of the response.
    ClosedBeforeResponse,
    /// The connection ended after `received` bytes of the response, before its end.
    Truncated {
        /// Bytes of the response that arrived.
        received: usize,
        /// How it ended.
        end: String,
    },
    /// Nothing more arrived within the read limit (60 s).
    TimedOut {
        /// Bytes of the response that arrived.
        received: usize,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Response(response) => write!(f, "a complete {} response", response.status),
            Outcome::ClosedBeforeResponse => f.write_str("closed before any response byte"),
            Outcome::Truncated { received, end } => {
                write!(f, "{end} after {received} bytes of the response")
            }
            Outcome::TimedOut { received } => {
                write!(f, "no end within {READ_LIMIT:?}, {received} bytes received")
            }
        }
    }
}

/// One client connection.
pub struct RawConn {
    stream: TcpStream,
    /// Bytes read and not yet part of a returned response.
    pending: Vec<u8>,
}

impl RawConn {
    /// Connects to `address`.
    pub async fn connect(address: SocketAddr) -> io::Result<RawConn> {
        Ok(RawConn {
            stream: TcpStream::connect(address).await?,
            pending: Vec::new(),
        })
    }

    /// Connects with a receive buffer of about `bytes` (the kernel's minimum if smaller), so
    /// that a large response stays mostly in the server's send buffer until it is read.
    pub async fn connect_small_window(address: SocketAddr, bytes: u32) -> io::Result<RawConn> {
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(bytes)?;
        Ok(RawConn {
            stream: socket.connect(address).await?,
            pending: Vec::new(),
        })
    }

    /// Writes `bytes` (one or more requests, or a part of one).
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Waits until some bytes of a response arrived and keeps them for
    /// [`RawConn::read_response`]; returns how many are kept.
    pub async fn read_some(&mut self) -> io::Result<usize> {
        let mut chunk = [0; 1024];
        let n = tokio::time::timeout(READ_LIMIT, self.stream.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no byte arrived"))??;
        self.pending.extend_from_slice(&chunk[..n]);
        Ok(self.pending.len())
    }

    /// Reads the next response (an interim `1xx` counts as one).
    pub async fn read_response(&mut self) -> Outcome {
        let mut chunk = vec![0; 16 * 1024];
        loop {
            if let Some((response, used)) = parse(&self.pending, false) {
                self.pending.drain(..used);
                return Outcome::Response(response);
            }
            let read = tokio::time::timeout(READ_LIMIT, self.stream.read(&mut chunk)).await;
            let received = self.pending.len();
            let end = match read {
                Err(_) => return Outcome::TimedOut { received },
                Ok(Ok(0)) => "end of stream".to_owned(),
                Ok(Ok(n)) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    continue;
                }
                Ok(Err(error)) => error.to_string(),
            };
            // A response delimited by the end of the stream is complete there.
            if let Some((response, used)) = parse(&self.pending, true) {
                self.pending.drain(..used);
                return Outcome::Response(response);
            }
            return match received {
                0 => Outcome::ClosedBeforeResponse,
                _ => Outcome::Truncated { received, end },
            };
        }
    }

    /// Waits until the server ends the connection, expecting no further byte: `Ok` with how
    /// it ended (`end of stream` or the reset), `Err` when bytes arrive or nothing happens
    /// within the read limit.
    pub async fn read_end(&mut self) -> Result<String, String> {
        if !self.pending.is_empty() {
            return Err(format!("{} unexpected bytes", self.pending.len()));
        }
        let mut chunk = [0; 1024];
        match tokio::time::timeout(READ_LIMIT, self.stream.read(&mut chunk)).await {
            Err(_) => Err(format!("still open after {READ_LIMIT:?}")),
            Ok(Ok(0)) => Ok("end of stream".to_owned()),
            Ok(Ok(n)) => Err(format!("{n} unexpected bytes")),
            Ok(Err(error)) => Ok(error.to_string()),
        }
    }
}

/// A request: `method path`, the bearer `token`, `body` as JSON, and `extra` headers.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.map(Value::to_string).unwrap_or_default();
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str("content-type: application/json\r\n");
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// The first complete response in `bytes` and how many bytes it took; `at_end`: the stream
/// has ended (completing a response without length).
fn parse(bytes: &[u8], at_end: bool) -> Option<(RawResponse, usize)> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let rest = &bytes[head_end..];
    let (body, used) = if (100..200).contains(&status) || status == 204 || status == 304 {
        (Vec::new(), 0)
    } else if let Some(length) = find("content-length") {
        let length: usize = length.parse().ok()?;
        (rest.get(..length)?.to_vec(), length)
    } else if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(rest)?
    } else if at_end {
        (rest.to_vec(), rest.len())
    } else {
        return None;
    };
    let response = RawResponse {
        status,
        headers,
        body,
    };
    Some((response, head_end + used))
}

/// A complete chunked body at the start of `bytes` and its length on the wire.
fn dechunk(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&bytes[at..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            // No trailers from this server: the empty line ends the body.
            return (bytes.get(at..at + 2)? == b"\r\n").then_some((body, at + 2));
        }
        body.extend_from_slice(bytes.get(at..at + size)?);
        at += size + 2;
    }
}
