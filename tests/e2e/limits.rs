//! Connection limits against a server process: a slowloris crowd is cut off at the header
//! timeout while ordinary clients are served; requests beyond the cap on requests in progress
//! are answered 503 with Retry-After; beyond the connection cap, connections wait; a request
//! whose body stalls is answered 408 at the configured request timeout.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::process::{admin_token, ProcessInstance};
use crate::support::raw::{request, Outcome, RawConn};

/// Asks `conn` for the departments, as an ordinary client would.
async fn list_departments(conn: &mut RawConn, token: &str) -> Outcome {
    let ask = request("GET", "/api/v1/departments", Some(token), None, &[]);
    conn.send(&ask).await.expect("send");
    conn.read_response().await
}

/// How many slow clients hold connections at once.
const SLOW_CLIENTS: usize = 2_000;

/// The server's header timeout in the slowloris test.
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens a connection and sends the start of a request whose headers never end, one more
/// header line every 500 ms; returns when the server closes the connection, with how long it
/// stayed open.
async fn slowloris(address: std::net::SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let start = b"GET /api/v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\n";
    stream.write_all(start).await.map_err(|e| e.to_string())?;
    let mut buffer = [0; 512];
    for line in 0..40 {
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                // Closed, with or without a 408 first.
                Ok(0) | Err(_) => return Ok(started.elapsed()),
                Ok(_) => continue,
            },
            () = tokio::time::sleep(Duration::from_millis(500)) => {
                let header = format!("x-slow-{line}: still coming\r\n");
                if stream.write_all(header.as_bytes()).await.is_err() {
                    return Ok(started.elapsed());
                }
            }
        }
    }
    Err(format!("still open after {:?}", started.elapsed()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_crowd_is_cut_off_at_the_header_timeout_while_others_are_served() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        (
            "CAMPUSHUB_HEADER_TIMEOUT",
            format!("{}s", HEADER_TIMEOUT.as_secs()),
        ),
    ];
    let server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let crowd: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| tokio::spawn(slowloris(address)))
        .collect();
    // Meanwhile, an ordinary client is served promptly, every time.
    let token = admin_token();
    let mut served = 0;
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        let mut conn = RawConn::connect(address).await.expect("connect");
        let asked = Instant::now();
        match list_departments(&mut conn, &token).await {
            Outcome::Response(response) => assert_eq!(response.status, 200),
            other => panic!("an ordinary request was not served: {other}"),
        }
        // Served while the crowd still holds its connections, not once the header timeout
        // has cut it off (a bound of seconds: a loaded test machine adds latency, a server
        // starved by the crowd adds the whole timeout).
        assert!(
            asked.elapsed() < HEADER_TIMEOUT,
            "an ordinary request took {:?}",
            asked.elapsed()
        );
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served >= 10, "{served} ordinary requests served");
    let mut longest = Duration::ZERO;
    for slow in crowd {
        let held = slow.await.expect("task").expect("cut off");
        longest = longest.max(held);
    }
    // The timeout, plus the time to open 2,000 connections and the timer's granularity.
    assert!(longest < Duration::from_secs(6), "held for {longest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_beyond_the_in_flight_cap_is_503_with_retry_after() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_MAX_IN_FLIGHT", "1".to_owned()),
    ];
    let server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let token = admin_token();
    // One request in progress: its headers are in, its body is still coming.
    let mut slow = RawConn::connect(address).await.expect("connect");
    let head = format!(
        "POST /api/v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer \
         {token}\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{{"
    );
    slow.send(head.as_bytes()).await.expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut other = RawConn::connect(address).await.expect("connect");
    let Outcome::Response(shed) = list_departments(&mut other, &token).await else {
        panic!("no answer beyond the cap");
    };
    assert_eq!(shed.status, 503);
    assert_eq!(shed.header("retry-after"), Some("1"));
    assert!(shed.json()["detail"]
        .as_str()
        .unwrap_or("")
        .contains("CAMPUSHUB_MAX_IN_FLIGHT"));
    // Once the first request ends, the next is served.
    drop(slow);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let Outcome::Response(served) = list_departments(&mut other, &token).await else {
        panic!("no answer after the cap freed up");
    };
    assert_eq!(served.status, 200);
    // The turned-away request is counted, and only this scrape is in progress.
    let metrics = server.http.get("/metrics").await.text();
    assert!(
        metrics.contains("campushub_http_requests_shed_total 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("campushub_http_requests_in_flight 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_answered_408_at_the_configured_request_timeout() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_REQUEST_TIMEOUT", "1s".to_owned()),
    ];
    let server = ProcessInstance::spawn(&vars).await;
    let token = admin_token();
    let mut slow = RawConn::connect(server.address()).await.expect("connect");
    let head = format!(
        "POST /api/v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer \
         {token}\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{{"
    );
    let sent = Instant::now();
    slow.send(head.as_bytes()).await.expect("send");
    let Outcome::Response(timed_out) = slow.read_response().await else {
        panic!("no answer to a stalled body");
    };
    assert_eq!(timed_out.status, 408);
    // At the setting, not at the default 30 s (a bound of seconds for a loaded machine).
    let waited = sent.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "answered after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_cap_a_connection_waits_until_one_closes() {
    let vars = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_MAX_CONNECTIONS", "3".to_owned()),
    ];
    let server = ProcessInstance::spawn(&vars).await;
    let address = server.address();
    let health = request("GET", "/healthz", None, None, &[]);
    // Four connections each send a request; the test's own client may hold one more
    // connection (its pool), so two or three are answered and the rest wait.
    let mut answered = Vec::new();
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let mut conn = TcpStream::connect(address).await.expect("connect");
        conn.write_all(&health).await.expect("send");
        let mut buffer = [0; 512];
        let read = tokio::time::timeout(Duration::from_millis(700), conn.read(&mut buffer)).await;
        match read {
            Ok(read) => {
                let n = read.expect("read");
                assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"));
                answered.push(conn);
            }
            Err(_) => waiting.push(conn),
        }
    }
    assert!(
        (2..=3).contains(&answered.len()),
        "{} answered",
        answered.len()
    );
    drop(answered.pop());
    let mut first = waiting.remove(0);
    let mut buffer = [0; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), first.read(&mut buffer))
        .await
        .expect("answered once a connection closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200"));
}
