//! The address a request's client is counted by (the login throttle, the rate limits): the
//! connection's peer, or the last `X-Forwarded-For` entry behind a trusted proxy.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// The address of the client of a request with `headers` and `extensions`, if known: the
/// last `X-Forwarded-For` entry when `trust_forwarded_for` (the one the proxy in front
/// added), else the connection's peer.
pub(crate) fn client_address(
    headers: &HeaderMap,
    extensions: &Extensions,
    trust_forwarded_for: bool,
) -> Option<String> {
    if trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rfind(|entry| !entry.is_empty());
        if let Some(address) = forwarded {
            return Some(address.to_owned());
        }
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}
