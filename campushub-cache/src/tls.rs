//! TLS to Redis beyond the system's trust store: a private CA, and a client certificate for
//! servers that require mutual TLS (`tls-auth-clients yes`).
//!
//! A `rediss://` URL alone already encrypts and verifies the server against the system's root
//! certificates and the URL's host name; [`RedisTls`] is for certificates that store does not
//! hold.

/// Certificates for a `rediss://` connection. The default holds none: the system's trust
/// store, no client certificate.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RedisTls {
    /// PEM root certificates to trust *instead of* the system's (the CA that signed the
    /// Redis servers' certificates).
    pub root_certificates: Option<Vec<u8>>,
    /// A PEM client certificate and its private key, presented to servers that require one.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate chain and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate chain, leaf first.
    pub certificate: Vec<u8>,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Vec<u8>,
}

impl RedisTls {
    /// Whether any certificate is set (else the URL alone decides).
    pub fn is_empty(&self) -> bool {
        self.root_certificates.is_none() && self.client_identity.is_none()
    }

    /// The redis client for `url` with these certificates; with `require_tls`, refuses a
    /// plaintext `redis://` URL to another host (see [`crate::CacheConfig::require_tls`]).
    pub(crate) fn client(&self, url: &str, require_tls: bool) -> crate::Result<redis::Client> {
        self.check(url, require_tls)?;
        let Some(certificates) = self.certificates() else {
            return Ok(redis::Client::open(url)?);
        };
        if !url.starts_with("rediss://") {
            return Err(crate::Error::Config(
                "TLS certificates are configured but the Redis URL is not `rediss://`".to_owned(),
            ));
        }
        Ok(redis::Client::build_with_tls(url, certificates)?)
    }

    /// With `require_tls`, refuses a plaintext `redis://` URL to another host.
    pub(crate) fn check(&self, url: &str, require_tls: bool) -> crate::Result<()> {
        if require_tls && leaves_the_host_in_plaintext(url)? {
            return Err(crate::Error::Config(
                "TLS is required, but the Redis URL is `redis://` to another host: use \
                 `rediss://`"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// These certificates in redis-rs's form; `None` when none is set.
    pub(crate) fn certificates(&self) -> Option<redis::TlsCertificates> {
        if self.is_empty() {
            return None;
        }
        Some(redis::TlsCertificates {
            client_tls: self
                .client_identity
                .as_ref()
                .map(|identity| redis::ClientTlsConfig {
                    client_cert: identity.certificate.clone(),
                    client_key: identity.key.clone(),
                }),
            root_cert: self.root_certificates.clone(),
        })
    }
}

/// Whether `url` reaches a host other than this one without TLS.
fn leaves_the_host_in_plaintext(url: &str) -> crate::Result<bool> {
    use redis::{ConnectionAddr, IntoConnectionInfo};
    Ok(match url.into_connection_info()?.addr {
        ConnectionAddr::Tcp(host, _) => !is_loopback(&host),
        ConnectionAddr::TcpTls { .. } | ConnectionAddr::Unix(_) => false,
    })
}

/// Whether `host` names this machine.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl std::fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTls")
            .field(
                "root_certificates",
                &self.root_certificates.as_ref().map(|pem| pem.len()),
            )
            .field("client_identity", &self.client_identity)
            .finish()
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field(
                "certificate",
                &format_args!("{} bytes", self.certificate.len()),
            )
            .field("key", &format_args!("***"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_need_a_tls_url() {
        let tls = RedisTls {
            root_certificates: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
            client_identity: None,
        };
        let error = tls
            .client("redis://127.0.0.1:6379/", false)
            .expect_err("plaintext URL");
        assert!(error.to_string().contains("not `rediss://`"), "{error}");
    }

    #[test]
    fn no_certificates_take_the_url_as_it_is() {
        assert!(RedisTls::default()
            .client("redis://127.0.0.1:6379/", false)
            .is_ok());
        assert!(RedisTls::default()
            .client("rediss://127.0.0.1:6379/", false)
            .is_ok());
    }

    #[test]
    fn plaintext_to_another_host_is_refused_when_tls_is_required() {
        let tls = RedisTls::default();
        for url in ["redis://cache.example:6379/", "redis://:pw@10.1.2.3/0"] {
            let error = tls.client(url, true).expect_err(url).to_string();
            assert!(error.contains("TLS is required"), "{error}");
            assert!(!error.contains("pw"), "{error}");
            assert!(tls.client(url, false).is_ok(), "{url}");
        }
        for url in [
            "rediss://cache.example:6379/",
            "redis://127.0.0.1:6379/",
            "redis://localhost/",
            "redis://[::1]:6379/",
            "redis+unix:///run/redis.sock",
        ] {
            assert!(tls.client(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn debug_hides_the_private_key() {
        let tls = RedisTls {
            root_certificates: None,
            client_identity: Some(ClientIdentity {
                certificate: b"cert".to_vec(),
                key: b"very-secret-key".to_vec(),
            }),
        };
        let debug = format!("{tls:?}");
        assert!(!debug.contains("very-secret-key"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }
}
