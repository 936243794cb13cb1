//! A small HTTP/1 client for the tests (hyper-util over plain TCP on loopback).

use axum::http::{HeaderMap, Method, Request};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A client of one server, sending its bearer token unless told otherwise.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    token: Option<String>,
}

/// Why a request got no complete response, as a load balancer tells the cases apart: only a
/// request that never reached the server ([`Failure::Connect`]) is certainly without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection (refused, reset while connecting): nothing was sent.
    Connect,
    /// The connection closed or reset after the request was sent, before a response head.
    Unanswered,
    /// The response head arrived but its body did not.
    Body,
}

/// A request that got no complete response.
#[derive(Debug, Clone)]
pub struct SendError {
    /// At which point it failed.
    pub failure: Failure,
    /// The transport's description.
    pub message: String,
}

impl SendError {
    fn new(failure: Failure, error: impl std::fmt::Display) -> SendError {
        SendError {
            failure,
            message: error.to_string(),
        }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.failure, self.message)
    }
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Http {
    /// A client of `base` (`http://127.0.0.1:port`) sending `token` as a bearer token.
    pub fn new(base: &str, token: Option<String>) -> Http {
        Http {
            client: Client::builder(TokioExecutor::new()).build_http(),
            base: base.to_owned(),
            token,
        }
    }

    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The server's base URL (`http://127.0.0.1:port`).
    pub fn base(&self) -> String {
        self.base.clone()
    }

    /// The same server without credentials.
    pub fn anonymous(&self) -> Http {
        Http {
            token: None,
            ..self.clone()
        }
    }

    /// Sends a request; `body` is sent as JSON. Panics when the server cannot be reached.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        self.try_send(method.clone(), path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// The status of `GET path`, or `None` while the server cannot be reached.
    pub async fn try_get(&self, path: &str) -> Option<u16> {
        let reply = self.try_send(Method::GET, path, &[], None).await;
        reply.ok().map(|reply| reply.status)
    }

    /// Sends a request; `body` is sent as JSON.
    async fn try_send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        self.attempt(method, path, headers, body)
            .await
            .map_err(|e| e.to_string())
    }

    /// Sends a request once (`body` as JSON), saying how it failed when it got no complete
    /// response, so that a caller can retry like a load balancer.
    pub async fn attempt(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, SendError> {
        let mut request = self.request(method, path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Full::new(Bytes::from(json.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        self.round_trip(request, body).await
    }

    /// A request to `path` with this client's token.
    fn request(&self, method: Method, path: &str) -> axum::http::request::Builder {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.header("authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// Sends `request` with `body` once and reads the whole answer.
    async fn round_trip(
        &self,
        request: axum::http::request::Builder,
        body: Full<Bytes>,
    ) -> Result<Reply, SendError> {
        let request = request
            .body(body)
            .map_err(|e| SendError::new(Failure::Connect, e))?;
        let response = self.client.request(request).await.map_err(|e| {
            let failure = if e.is_connect() {
                Failure::Connect
            } else {
                Failure::Unanswered
            };
            // The legacy client's `Display` is only "client error (…)"; `Debug` names the cause.
            SendError::new(failure, format!("{e:?}"))
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| SendError::new(Failure::Body, format!("reading the body: {e}")))?
            .to_bytes();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await
    }

    /// `GET path` with headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, path, headers, None).await
    }

    /// `POST path` with `body` as `content_type` (a file upload).
    pub async fn upload(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let request = self
            .request(Method::POST, path)
            .header("content-type", content_type);
        self.round_trip(request, Full::new(Bytes::from(body)))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST path` with a JSON body; panics unless the answer is `201`.
    pub async fn create(&self, path: &str, body: Value) -> Reply {
        let reply = self.send(Method::POST, path, &[], Some(&body)).await;
        assert_eq!(reply.status, 201, "POST {path}: {}", reply.text());
        reply
    }

    /// `PATCH path` with a JSON body and headers.
    pub async fn patch(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
        self.send(Method::PATCH, path, headers, Some(&body)).await
    }
}
