//! Fetching a provider's documents: OpenID Connect discovery and the JWKS, over HTTPS (plain
//! HTTP only to a loopback address, for tests and a provider on the same host), bounded in
//! time and size, without following redirects.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Url};
use serde::Deserialize;

/// The largest document read (JWKS documents are a few kilobytes).
const MAX_DOCUMENT: usize = 1 << 20;

/// Where the keys are: found through discovery, or at a known JWKS address.
#[derive(Debug, Clone)]
pub(super) enum KeysAt {
    /// `{issuer}/.well-known/openid-configuration`'s `jwks_uri`.
    Discovery(Url),
    /// This JWKS address.
    Jwks(Url),
}

/// An HTTP client for one provider.
#[derive(Debug, Clone)]
pub(super) struct Fetcher {
    client: Client,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl Fetcher {
    /// A client trusting the system's root certificates, giving up after `timeout`.
    pub(super) fn new(timeout: Duration) -> Result<Fetcher, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            tracing::warn!(errors = ?native.errors, "no system root certificates: HTTPS to an identity provider will fail");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Fetcher { client })
    }

    /// The JWKS document's bytes for a provider whose issuer is `issuer`.
    pub(super) async fn jwks(&self, at: &KeysAt, issuer: &str) -> Result<Vec<u8>, String> {
        let url = match at {
            KeysAt::Jwks(url) => url.clone(),
            KeysAt::Discovery(url) => {
                let body = self.get(url).await?;
                let discovery: Discovery = serde_json::from_slice(&body)
                    .map_err(|e| format!("the discovery document at {url} does not parse: {e}"))?;
                // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it
                // was fetched for, or its keys are not that issuer's.
                if discovery.issuer != issuer {
                    return Err(format!(
                        "the discovery document names issuer `{}`, not `{issuer}`",
                        discovery.issuer
                    ));
                }
                allowed_url(&discovery.jwks_uri)?
            }
        };
        self.get(&url).await
    }

    /// The body of a `200` answer to `GET url`, at most [`MAX_DOCUMENT`] bytes.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, String> {
        let mut response = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: status {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(format!("GET {url}: larger than {MAX_DOCUMENT} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// `url` parsed, if it is HTTPS, or plain HTTP to a loopback host.
///
/// # Errors
/// A message saying why not: keys fetched over plain HTTP from another host could be
/// replaced by anyone on the path, and would then sign tokens for any role.
pub(super) fn allowed_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let loopback = parsed.host_str().is_some_and(|host| {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "`{url}` must be an https:// URL (plain http only to a loopback address)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_url;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        for ok in [
            "https://login.example.edu/realms/campus",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9/jwks",
        ] {
            assert!(allowed_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://login.example.edu/jwks",
            "http://10.0.0.1/jwks",
            "ftp://127.0.0.1/jwks",
            "not a url",
        ] {
            assert!(allowed_url(refused).is_err(), "{refused}");
        }
    }
}
