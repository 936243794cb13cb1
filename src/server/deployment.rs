//! Development or production: which one a configuration runs in, and the rules production
//! adds (a real secret, strong enough).

use std::net::SocketAddr;

use super::values::{error, ConfigError, Database, Environment};

/// The environment `CAMPUSHUB_ENV` names, or when unset: development on an SQLite database
/// bound to a loopback address (a developer's machine; the README's first command), else
/// production.
pub(super) fn environment(
    named: Option<&str>,
    database: &Database,
    bind: SocketAddr,
) -> Result<Environment, ConfigError> {
    match named.map(str::trim) {
        Some("development") => Ok(Environment::Development),
        Some("production") => Ok(Environment::Production),
        Some(other) => Err(error(
            "CAMPUSHUB_ENV",
            format!("`{other}` is not `development` or `production`"),
        )),
        None => Ok(match (database, bind.ip().is_loopback()) {
            (Database::Sqlite { .. }, true) => Environment::Development,
            _ => Environment::Production,
        }),
    }
}

/// The shortest secret accepted, in bytes (HS256's key size).
const MIN_SECRET_BYTES: usize = 32;

/// The least entropy a secret must show, in bits, estimated from its own character
/// frequencies: 32 random hex digits (128 bits of randomness) show about 118, 32 random
/// letters and digits about 150; one character repeated shows 0, two alternating 32.
const MIN_SECRET_BITS: f64 = 100.0;

/// Refuses a secret that is short or visibly not random.
pub(super) fn secret_strength(secret: &str) -> Result<(), String> {
    let bytes = secret.as_bytes();
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "must be at least {MIN_SECRET_BYTES} characters long (generate one with \
             `openssl rand -base64 48`)"
        ));
    }
    let bits = estimated_entropy_bits(bytes);
    if bits < MIN_SECRET_BITS {
        return Err(format!(
            "looks too regular to be random (about {bits:.0} bits of entropy, at least \
             {MIN_SECRET_BITS:.0} needed): generate one with `openssl rand -base64 48`"
        ));
    }
    Ok(())
}

/// The length times the Shannon entropy per byte of the byte frequencies.
fn estimated_entropy_bits(bytes: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for byte in bytes {
        counts[usize::from(*byte)] += 1;
    }
    let length = bytes.len() as f64;
    let per_byte: f64 = counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = f64::from(*count) / length;
            -p * p.log2()
        })
        .sum();
    per_byte * length
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_or_short_secrets_are_refused_and_random_ones_accepted() {
        let refused = [
            "a".repeat(64),
            "ab".repeat(32),
            "0123456789".repeat(2),
            "short".to_owned(),
        ];
        for secret in refused {
            assert!(secret_strength(&secret).is_err(), "{secret}");
        }
        let accepted = [
            // 32 hex digits (128 random bits), 64 hex digits, base64 of 48 bytes.
            "9f86d081884c7d659a2feaa0c55ad015",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "q1J6mU0k6v3pQ0dXh8zJY3r5m2bZ3k0Q9o3WcE7vF1t2yR8sLx0pNq4aH6gT9jKe",
        ];
        for secret in accepted {
            assert_eq!(secret_strength(secret), Ok(()), "{secret}");
        }
    }

    #[test]
    fn the_default_environment_is_development_only_on_sqlite_bound_to_loopback() {
        let sqlite = Database::Sqlite {
            url: "sqlite::memory:".into(),
            file: None,
        };
        let postgres = Database::Postgres {
            primary: "postgres://db/x".into(),
            replicas: Vec::new(),
            analytics: None,
            max_lag: std::time::Duration::from_secs(1),
            max_connections: 1,
            statement_timeout: None,
        };
        let loopback: SocketAddr = "127.0.0.1:8080".parse().expect("address");
        let everywhere: SocketAddr = "0.0.0.0:8080".parse().expect("address");
        use Environment::{Development, Production};
        let cases = [
            (None, &sqlite, loopback, Development),
            (None, &sqlite, everywhere, Production),
            (None, &postgres, loopback, Production),
            (Some("development"), &postgres, everywhere, Development),
            (Some("production"), &sqlite, loopback, Production),
        ];
        for (named, database, bind, expected) in cases {
            assert_eq!(
                environment(named, database, bind),
                Ok(expected),
                "{named:?}"
            );
        }
        let error = environment(Some("staging"), &sqlite, loopback).expect_err("unknown");
        assert_eq!(error.variable, "CAMPUSHUB_ENV");
    }
}
