//! TLS to Postgres: the router's root certificate added to each URL's options, and the
//! policy that refuses a URL letting traffic to another host travel in plaintext.
//!
//! The driver negotiates TLS from the URL's `sslmode` as libpq does: `disable` never, `allow`
//! and `prefer` (the default) only if the server offers it, so a server without TLS, or an
//! attacker in the path, silently gets plaintext; `require` always, without checking the
//! certificate; `verify-ca` checks the chain; `verify-full` also the host name.

use std::net::IpAddr;
use std::path::Path;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use super::redact::redacted;
use crate::{Error, Result};

/// `options` (parsed from `url`) with `root_certificate`, unless the URL names its own; with
/// `require_tls`, refused when they let a connection to another host fall back to plaintext
/// (see `PgRouterConfig::require_tls`).
pub(super) fn secured(
    options: PgConnectOptions,
    root_certificate: Option<&Path>,
    require_tls: bool,
    url: &str,
) -> Result<PgConnectOptions> {
    if require_tls && allows_plaintext(options.get_ssl_mode()) && !is_local(&options) {
        return Err(Error::Config(format!(
            "TLS is required, but `{}` lets the connection fall back to plaintext \
             (sslmode={}): add `sslmode=verify-full` (or `require`) to the URL",
            redacted(url),
            mode_name(options.get_ssl_mode()),
        )));
    }
    Ok(match root_certificate {
        Some(path) if !names_root_certificate(url) => options.ssl_root_cert(path),
        _ => options,
    })
}

/// Whether `mode` lets a connection proceed without TLS.
fn allows_plaintext(mode: PgSslMode) -> bool {
    matches!(
        mode,
        PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Prefer
    )
}

/// The URL spelling of `mode`, for the error.
fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Whether the connection stays on this machine: a Unix socket or a loopback host.
fn is_local(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    options.get_socket().is_some()
        || host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url` carries its own root certificate (any spelling the driver accepts).
fn names_root_certificate(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        ["sslrootcert", "ssl-root-cert", "ssl-ca"]
            .iter()
            .any(|name| key.eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn check(url: &str) -> Result<PgConnectOptions> {
        secured(PgConnectOptions::from_str(url)?, None, true, url)
    }

    #[test]
    fn remote_urls_that_allow_plaintext_are_refused_when_tls_is_required() {
        for url in [
            "postgres://app:pw@db.example/erp",
            "postgres://app@db.example/erp?sslmode=prefer",
            "postgres://app@10.0.0.5/erp?sslmode=allow",
            "postgres://app@db.example/erp?sslmode=disable",
        ] {
            let error = check(url).expect_err(url).to_string();
            assert!(error.contains("TLS is required"), "{error}");
            assert!(error.contains("sslmode=verify-full"), "{error}");
            assert!(!error.contains("pw@"), "password shown: {error}");
        }
    }

    #[test]
    fn encrypted_or_local_urls_pass_when_tls_is_required() {
        for url in [
            "postgres://app@db.example/erp?sslmode=require",
            "postgres://app@db.example/erp?sslmode=verify-ca",
            "postgres://app@db.example/erp?sslmode=verify-full",
            "postgres://app@127.0.0.1:5432/erp",
            "postgres://app@localhost/erp?sslmode=disable",
            "postgres://app@[::1]:5432/erp",
            "postgres://app@%2Fvar%2Frun%2Fpostgresql/erp",
        ] {
            assert!(check(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn plaintext_is_allowed_unless_required() {
        let url = "postgres://app@db.example/erp?sslmode=disable";
        let options = PgConnectOptions::from_str(url).expect("url");
        assert!(secured(options, None, false, url).is_ok());
    }

    #[test]
    fn a_root_certificate_in_the_url_wins_over_the_routers() {
        assert!(names_root_certificate(
            "postgres://h/db?sslmode=verify-full&sslrootcert=/ca"
        ));
        assert!(names_root_certificate("postgres://h/db?SSL-CA=/ca"));
        assert!(!names_root_certificate(
            "postgres://h/db?sslmode=verify-full"
        ));
        assert!(!names_root_certificate("postgres://h/sslrootcert"));
    }
}
