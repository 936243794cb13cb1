//! The client address the login throttle counts, as an extractor (see
//! `crate::client_address`).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::Identity;
use crate::problem::Problem;

/// The client address the throttle counts (see `client.rs`).
pub(super) struct ClientAddress(pub(super) Option<String>);

impl FromRequestParts<Arc<Identity>> for ClientAddress {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        identity: &Arc<Identity>,
    ) -> std::result::Result<Self, Problem> {
        Ok(ClientAddress(client_address(
            parts,
            identity.trust_forwarded_for,
        )))
    }
}

/// The address of the client of `parts`, if known.
pub(super) fn client_address(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    crate::client_address::client_address(&parts.headers, &parts.extensions, trust_forwarded_for)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use axum::http::Request;

    use super::*;

    fn parts(forwarded: Option<&str>, peer: Option<&str>) -> Parts {
        let mut request = Request::builder();
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        let (mut parts, ()) = request.body(()).expect("a request").into_parts();
        if let Some(peer) = peer {
            let peer: SocketAddr = peer.parse().expect("an address");
            parts.extensions.insert(ConnectInfo(peer));
        }
        parts
    }

    #[test]
    fn the_peer_unless_a_proxy_is_trusted() {
        let request = parts(Some("203.0.113.9, 198.51.100.7"), Some("10.0.0.2:4000"));
        assert_eq!(client_address(&request, false).as_deref(), Some("10.0.0.2"));
        assert_eq!(
            client_address(&request, true).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(client_address(&parts(None, None), true), None);
    }
}
