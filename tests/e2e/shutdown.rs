//! Graceful restarts lose nothing. On SIGTERM a server process stops accepting connections,
//! answers the requests in progress (with `Connection: close`, as every response once the
//! shutdown began), closes idle keep-alive connections without processing what arrives on
//! them, and exits with success; so a request whose connection closed before any byte of its
//! response was not processed, and a client may send it again, writes included
//! (`docs/api.md`, "Retrying requests").

use std::collections::HashSet;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, PgConnection, Row};
use tokio::net::TcpStream;

use crate::support::instance::{namespace, replicated};
use crate::support::load::{LoadClient, Op, Owned, Report};
use crate::support::process::{admin_token, ProcessInstance};
use crate::support::raw::{request, Outcome, RawConn, RawResponse};
use crate::support::records::{department, id, student, student_body};
use crate::support::{wait, Services, TestDb};

/// The server's grace period in these tests: far above what finishing a few requests takes,
/// so reaching it means a request was held up (and would have been cut off).
const GRACE: Duration = Duration::from_secs(20);

/// Load clients, each on its own keep-alive connection.
const CLIENTS: usize = 6;

/// Requests the load completes before the signal.
const BEFORE_SIGNAL: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_under_load_loses_no_request() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let mut vars = replicated(&services, &db, &namespace());
    vars.push(("CAMPUSHUB_SHUTDOWN_GRACE", format!("{}s", GRACE.as_secs())));
    let mut server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let token = admin_token();

    let dept = department(&server.http, "SHUT").await;
    let completed = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let created = student(&server.http, &dept, &format!("OWN-{client}")).await;
        let record = created.json();
        let load = LoadClient {
            client,
            address,
            token: token.clone(),
            department: id(&dept),
            record: Owned {
                id: id(&record),
                version: record["version"].as_i64().expect("a version"),
                first_name: record["first_name"].as_str().expect("a name").to_owned(),
                etag: created.header("etag").expect("an ETag"),
            },
            completed: Arc::clone(&completed),
        };
        clients.push(tokio::spawn(load.run()));
    }
    // A keep-alive connection left idle, whose close shows that the shutdown has begun.
    let mut idle = RawConn::connect(address).await.expect("connect");
    idle.send(&request("GET", "/healthz", None, None, &[]))
        .await
        .expect("send");
    let first = response(idle.read_response().await, "GET /healthz");
    assert!(!first.closes(), "keep-alive before the shutdown");

    wait::until(
        "the load is under way",
        Duration::from_secs(120),
        || async {
            match completed.load(Ordering::Relaxed) {
                n if n >= BEFORE_SIGNAL => Ok(()),
                n => Err(format!("{n} requests completed")),
            }
        },
    )
    .await;

    // A create in progress across the signal: its head is read and its handler waits for the
    // body (the server asked for it with `100 Continue`).
    let body = student_body(&dept["id"], "INFLIGHT");
    let expect = [("expect", "100-continue")];
    let create = request(
        "POST",
        "/api/v1/students",
        Some(&token),
        Some(&body),
        &expect,
    );
    let (head, rest) = create.split_at(create.len() - body.to_string().len());
    let mut in_flight = RawConn::connect(address).await.expect("connect");
    in_flight.send(head).await.expect("send the head");
    let interim = response(in_flight.read_response().await, "the interim response");
    assert_eq!(interim.status, 100, "{interim:?}");

    let signalled = Instant::now();
    server.signal_terminate();

    // The idle connection is closed without a response.
    let end = idle.read_end().await;
    let closing_seen = Instant::now();
    assert!(end.is_ok(), "the idle connection: {end:?}");
    let refused = TcpStream::connect(address).await.map(drop);
    assert_eq!(
        refused.map_err(|e| e.kind()),
        Err(ErrorKind::ConnectionRefused),
        "a new connection once the shutdown began"
    );

    // The request in progress is answered, with `Connection: close`, then the connection ends.
    in_flight.send(rest).await.expect("send the body");
    let created = response(in_flight.read_response().await, "the create in progress");
    assert_eq!(
        created.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&created.body)
    );
    assert!(
        created.closes(),
        "Connection: close once the shutdown began"
    );
    let end = in_flight.read_end().await;
    assert!(end.is_ok(), "after Connection: close: {end:?}");

    let mut reports = Vec::new();
    for client in clients {
        let report = tokio::time::timeout(Duration::from_secs(120), client)
            .await
            .expect("every load client ends once its connection is closed")
            .expect("a load client");
        reports.push(report);
    }

    let status = server.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "the server exits with success: {status}");
    assert!(
        signalled.elapsed() < GRACE,
        "the shutdown ended before the grace period ran out"
    );

    let first_seen = reports
        .iter()
        .filter_map(|r| r.saw_shutdown)
        .fold(closing_seen, Instant::min);
    for report in &reports {
        check_client(report, first_seen);
    }
    check_database(&db, &reports).await;
    let unanswered = reports
        .iter()
        .flat_map(|r| &r.sent)
        .filter(|s| matches!(s.outcome, Outcome::ClosedBeforeResponse))
        .count();
    eprintln!("requests closed before any response byte (not processed): {unanswered}");

    // Restarted on the same port and database, the instance serves what was acknowledged.
    server.respawn().await;
    check_restarted(&server, &reports[0]).await;

    drop(server);
    db.drop_database().await;
}

/// The response of `outcome`, failing the test otherwise.
fn response(outcome: Outcome, what: &str) -> RawResponse {
    match outcome {
        Outcome::Response(response) => response,
        other => panic!("{what}: {other}"),
    }
}

/// What one load client saw: every request answered whole or closed before any byte, the
/// statuses expected, `Connection: close` on every response to a request sent once the
/// shutdown was seen, its connection then closed, and a new connection refused.
fn check_client(report: &Report, first_seen: Instant) {
    let client = report.client;
    assert!(
        report.saw_shutdown.is_some(),
        "client {client}: the server never closed its connection"
    );
    for (n, sent) in report.sent.iter().enumerate() {
        let response = match &sent.outcome {
            Outcome::Response(response) => response,
            Outcome::ClosedBeforeResponse => continue,
            other => panic!("client {client}, request {n} ({:?}): {other}", sent.op),
        };
        let expected = match sent.op {
            Op::Create(_) => 201,
            Op::Retrieve | Op::List | Op::Patch(_) => 200,
        };
        assert_eq!(
            response.status,
            expected,
            "client {client}, request {n} ({:?}): {}",
            sent.op,
            String::from_utf8_lossy(&response.body)
        );
        assert!(
            response.closes() || sent.at < first_seen,
            "client {client}, request {n}: sent after the shutdown was seen, answered without \
             Connection: close"
        );
    }
    if let Some(end) = &report.end_after_close {
        assert!(
            end.is_ok(),
            "client {client}: after Connection: close: {end:?}"
        );
    }
    assert_eq!(
        report.reconnect,
        Some(Err(ErrorKind::ConnectionRefused)),
        "client {client}: a new connection after the shutdown"
    );
}

/// The database holds exactly the acknowledged writes: every created roll number answered
/// `201`, none closed before a response, and each client's record as its last acknowledged
/// patch left it.
async fn check_database(db: &TestDb, reports: &[Report]) {
    let mut conn = PgConnection::connect(&db.primary)
        .await
        .expect("connect to the primary");
    let rolls: HashSet<String> = sqlx::query("SELECT roll_number FROM students")
        .fetch_all(&mut conn)
        .await
        .expect("the roll numbers")
        .iter()
        .map(|row| row.get("roll_number"))
        .collect();
    assert!(
        rolls.contains("INFLIGHT"),
        "the create answered during the shutdown"
    );
    for report in reports {
        for sent in &report.sent {
            let Op::Create(roll) = &sent.op else { continue };
            let answered = matches!(sent.outcome, Outcome::Response(_));
            assert_eq!(
                rolls.contains(roll),
                answered,
                "{roll}: stored must be answered ({})",
                sent.outcome
            );
        }
        let owned = format!("OWN-{}", report.client);
        let row = sqlx::query("SELECT version, first_name FROM students WHERE roll_number = $1")
            .bind(&owned)
            .fetch_one(&mut conn)
            .await
            .expect("the client's record");
        let stored: (i64, String) = (row.get("version"), row.get("first_name"));
        assert_eq!(
            stored, report.acknowledged,
            "{owned}: the stored record is the last acknowledged patch"
        );
    }
    let _ = conn.close().await;
}

/// The restarted instance serves client `report`'s record as acknowledged (reads may go to
/// the replica: waited for).
async fn check_restarted(server: &ProcessInstance, report: &Report) {
    let ready = server.http.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    let owned = format!("/api/v1/students?roll_number=OWN-{}", report.client);
    let expected = report.acknowledged.clone();
    wait::until(
        "the restarted instance serves the record",
        Duration::from_secs(30),
        || async {
            let page: Value = server.http.get(&owned).await.json();
            let record = &page["results"][0];
            let seen = (
                record["version"].as_i64().unwrap_or(-1),
                record["first_name"].as_str().unwrap_or_default().to_owned(),
            );
            if seen == expected {
                Ok(())
            } else {
                Err(format!("{seen:?}"))
            }
        },
    )
    .await;
}

/// The lingering close. A client that sends a request before it has read the previous
/// response (pipelining, or a request sent just as the server closes) must still get that
/// response whole. Closing a socket with unread data, or receiving data after closing it,
/// makes the kernel reset the connection and drop what it had not yet sent: with a small
/// client receive window, most of a large response. The server keeps reading and discarding
/// for a while after it shut its write half, so the response arrives whole and the pipelined
/// request is closed without a byte (not processed). No database needed: SQLite in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_pipelined_as_the_server_closes_does_not_cut_the_previous_response() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_CACHE", "off".to_owned()),
    ];
    let mut server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let token = admin_token();

    // A large response (the OpenAPI document), written into the server's send buffer but
    // mostly not yet delivered: the client's receive window is small and it does not read.
    let mut conn = RawConn::connect_small_window(address, 4096)
        .await
        .expect("connect");
    let large = request("GET", "/api/v1/openapi.json", Some(&token), None, &[]);
    conn.send(&large).await.expect("send");
    conn.read_some().await.expect("the response begins");
    let mut idle = RawConn::connect(address).await.expect("connect");
    idle.send(&request("GET", "/healthz", None, None, &[]))
        .await
        .expect("send");
    response(idle.read_response().await, "GET /healthz");

    server.signal_terminate();
    let end = idle.read_end().await;
    assert!(
        end.is_ok(),
        "idle connections close at the shutdown: {end:?}"
    );

    // The next request, sent before this client could see the close.
    conn.send(&request("GET", "/healthz", None, None, &[]))
        .await
        .expect("send");
    let document = response(conn.read_response().await, "the large response");
    assert_eq!(document.status, 200);
    let length: usize = document
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("a length");
    assert!(
        length > 64 * 1024,
        "a response larger than the client's window ({length} bytes)"
    );
    // The pipelined request is not processed; or, if the server read it in the same pass as
    // it finished the previous one, answered with `Connection: close` before the close.
    match conn.read_response().await {
        Outcome::ClosedBeforeResponse => {}
        Outcome::Response(response) if response.closes() => {
            let end = conn.read_end().await;
            assert!(end.is_ok(), "after Connection: close: {end:?}");
        }
        other => panic!("the pipelined request: {other}"),
    }
    drop((conn, idle));
    let status = server.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "the server exits with success: {status}");
}

/// The grace period bounds a shutdown: a request still in progress when it runs out (here an
/// upload whose body never comes, which the router's 30 s timeout would answer much later)
/// is cut off without a response, and the process still exits with success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_cuts_off_a_request_that_does_not_finish() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_SHUTDOWN_GRACE", "1s".to_owned()),
    ];
    let mut server = ProcessInstance::spawn(&vars).await;
    let token = admin_token();
    let body = json!({"code": "STALL", "name": "Stalled"});
    let expect = [("expect", "100-continue")];
    let create = request(
        "POST",
        "/api/v1/departments",
        Some(&token),
        Some(&body),
        &expect,
    );
    let head = &create[..create.len() - body.to_string().len()];
    let mut stalled = RawConn::connect(server.address()).await.expect("connect");
    stalled.send(head).await.expect("send the head");
    let interim = response(stalled.read_response().await, "the interim response");
    assert_eq!(interim.status, 100, "{interim:?}");

    let status = server.terminate();
    assert!(status.success(), "the server exits with success: {status}");
    let outcome = stalled.read_response().await;
    assert!(
        matches!(outcome, Outcome::ClosedBeforeResponse),
        "the request cut off gets no response: {outcome}"
    );
}

/// With a drain delay, SIGTERM first only turns readiness off: `/readyz` answers `503` (the
/// `instance` component down) while requests, on new connections too, are still served, so a
/// load balancer stops routing before the listener closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_delay_turns_readiness_off_while_still_serving() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_SHUTDOWN_DRAIN", "5s".to_owned()),
    ];
    let mut server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let ready = server.http.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json()["components"]["instance"]["ok"], true);

    server.signal_terminate();
    let probe = |path: &'static str| async move {
        let mut conn = RawConn::connect(address).await.map_err(|e| e.to_string())?;
        conn.send(&request("GET", path, None, None, &[]))
            .await
            .map_err(|e| e.to_string())?;
        match conn.read_response().await {
            Outcome::Response(response) => Ok(response),
            other => Err(other.to_string()),
        }
    };
    let unready = wait::until("/readyz turns 503", Duration::from_secs(4), || async {
        let response = probe("/readyz").await?;
        match response.status {
            503 => Ok(response),
            other => Err(format!("{other}")),
        }
    })
    .await;
    // An anonymous probe (as a load balancer's) sees the status alone.
    assert_eq!(unready.json(), serde_json::json!({"status": "unready"}));
    assert!(!unready.closes(), "still keep-alive while draining");
    let served = probe("/healthz")
        .await
        .expect("a new connection while draining");
    assert_eq!(served.status, 200);

    let status = server.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "the server exits with success: {status}");
}
