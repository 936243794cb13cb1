//! The load of the shutdown tests: a client on one keep-alive connection sending a mix of
//! reads and writes (creates with unique roll numbers, patches of its own record with unique
//! values) until the server closes the connection, recording how every request ended.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::TcpStream;

use super::raw::{request, Outcome, RawConn};
use super::records::student_body;

/// Requests one client sends at most, should the server never close its connection.
const MAX_REQUESTS: usize = 50_000;

/// What a request was.
#[derive(Debug, Clone)]
pub enum Op {
    /// `GET` of the client's own record.
    Retrieve,
    /// `GET` of a list page.
    List,
    /// `POST` of a student with this roll number.
    Create(String),
    /// `PATCH` of the client's record setting `first_name` to this value.
    Patch(String),
}

/// One request and how it ended.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The request.
    pub op: Op,
    /// When its first byte was written.
    pub at: Instant,
    /// How it ended.
    pub outcome: Outcome,
}

/// What a client saw.
#[derive(Debug)]
pub struct Report {
    /// Which client.
    pub client: usize,
    /// Every request, in order.
    pub sent: Vec<Sent>,
    /// When it first saw the shutdown (a `Connection: close` response, or its connection
    /// closed); `None`: the server never closed it.
    pub saw_shutdown: Option<Instant>,
    /// After a `Connection: close` response: how the server then ended the connection.
    pub end_after_close: Option<Result<String, String>>,
    /// After the shutdown: how a new connection attempt went (`Ok`: connected).
    pub reconnect: Option<Result<(), std::io::ErrorKind>>,
    /// The client's record as last acknowledged: version and `first_name`.
    pub acknowledged: (i64, String),
}

/// A student record one client alone writes.
#[derive(Debug, Clone)]
pub struct Owned {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: i64,
    /// Its `first_name`.
    pub first_name: String,
    /// Its `ETag`.
    pub etag: String,
}

/// A client of the load, owning one student record.
pub struct LoadClient {
    /// Which client (in roll numbers and values).
    pub client: usize,
    /// The server.
    pub address: SocketAddr,
    /// An admin token.
    pub token: String,
    /// The department new students join.
    pub department: String,
    /// The client's own student, as created.
    pub record: Owned,
    /// Completed requests of all clients.
    pub completed: Arc<AtomicUsize>,
}

impl LoadClient {
    /// Sends requests until the server closes the connection (or `MAX_REQUESTS`), then tries
    /// to connect again once.
    pub async fn run(self) -> Report {
        let Owned {
            id,
            mut version,
            first_name: mut name,
            mut etag,
        } = self.record.clone();
        let mut report = Report {
            client: self.client,
            sent: Vec::new(),
            saw_shutdown: None,
            end_after_close: None,
            reconnect: None,
            acknowledged: (version, name.clone()),
        };
        let mut conn = RawConn::connect(self.address)
            .await
            .expect("the load client connects");
        let token = Some(self.token.as_str());
        for n in 0..MAX_REQUESTS {
            let (op, bytes) = match n % 4 {
                0 => (
                    Op::Retrieve,
                    request("GET", &format!("/api/v1/students/{id}"), token, None, &[]),
                ),
                1 => {
                    let roll = format!("SD{}-{n}", self.client);
                    let body = self.student(&roll);
                    let bytes = request("POST", "/api/v1/students", token, Some(&body), &[]);
                    (Op::Create(roll), bytes)
                }
                2 => {
                    let value = format!("P{}x{n}", self.client);
                    let body = json!({ "first_name": value });
                    let path = format!("/api/v1/students/{id}");
                    let headers = [("if-match", etag.as_str())];
                    let bytes = request("PATCH", &path, token, Some(&body), &headers);
                    (Op::Patch(value), bytes)
                }
                _ => (
                    Op::List,
                    request("GET", "/api/v1/students?page_size=5", token, None, &[]),
                ),
            };
            let at = Instant::now();
            let outcome = match conn.send(&bytes).await {
                Ok(()) => conn.read_response().await,
                // Closed before the request was even written: certainly no response byte.
                Err(_) => Outcome::ClosedBeforeResponse,
            };
            let mut stop = true;
            match &outcome {
                Outcome::Response(response) => {
                    self.completed.fetch_add(1, Ordering::Relaxed);
                    if let (Op::Patch(value), 200) = (&op, response.status) {
                        version = response.json()["version"].as_i64().unwrap_or(-1);
                        name.clone_from(value);
                        etag = response.header("etag").unwrap_or_default().to_owned();
                        report.acknowledged = (version, name.clone());
                    }
                    if response.closes() {
                        report.saw_shutdown = Some(Instant::now());
                        report.end_after_close = Some(conn.read_end().await);
                    } else {
                        stop = false;
                    }
                }
                Outcome::ClosedBeforeResponse => report.saw_shutdown = Some(Instant::now()),
                Outcome::Truncated { .. } | Outcome::TimedOut { .. } => {}
            }
            report.sent.push(Sent { op, at, outcome });
            if stop {
                break;
            }
            // Now and then a pause, so that some connections are idle when the server closes
            // them and a request may cross the close.
            if n % 7 == self.client % 7 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        if report.saw_shutdown.is_some() {
            report.reconnect = Some(
                TcpStream::connect(self.address)
                    .await
                    .map(drop)
                    .map_err(|e| e.kind()),
            );
        }
        report
    }

    fn student(&self, roll: &str) -> Value {
        student_body(&Value::from(self.department.as_str()), roll)
    }
}
