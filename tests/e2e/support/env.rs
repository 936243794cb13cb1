//! The services `scripts/services.sh` started, found through the environment it writes.

/// URLs of the shared services.
#[derive(Debug, Clone)]
pub struct Services {
    /// The Postgres primary (`postgres` database).
    pub primary: String,
    /// Its streaming replica.
    pub replica: String,
    /// Redis.
    pub redis: String,
}

const HOW: &str = "the end-to-end tests need Postgres (primary + replica) and Redis: run \
    `scripts/services.sh start` and `source /tmp/campushub-services/env` (or `scripts/test.sh`)";

fn var(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: {HOW}"))
}

impl Services {
    /// The shared services; panics (failing the test) with how to start them when missing.
    pub fn shared() -> Services {
        Services {
            primary: var("CAMPUSHUB_TEST_PG_PRIMARY"),
            replica: var("CAMPUSHUB_TEST_PG_REPLICA"),
            redis: var("CAMPUSHUB_TEST_REDIS"),
        }
    }

    /// The script that starts and stops services (`CAMPUSHUB_TEST_SERVICES_SCRIPT`, else this
    /// repository's `scripts/services.sh`).
    pub fn script() -> String {
        std::env::var("CAMPUSHUB_TEST_SERVICES_SCRIPT")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("{}/scripts/services.sh", env!("CARGO_MANIFEST_DIR")))
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}
