//! Test support: service URLs from the environment, a fresh database per test, dedicated
//! primary/replica clusters for fault injection, and entity fixtures.

pub mod cluster;
pub mod fixtures;
pub mod keep;
pub mod pgdb;
pub mod recorder;
pub mod replay;
pub mod rows;
pub mod sqlite_file;

/// The environment variable `name`, or a failure saying how to start the services.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the test services with `scripts/services.sh start` \
             and `source /tmp/campushub-services/env` (or the env file in $CAMPUSHUB_SERVICES_DIR)"
        )
    })
}

/// The reads the pool named `pool` of `router` has served.
pub fn reads(router: &campushub_sqlx::PgRouter, pool: &str) -> u64 {
    router.pool(pool).map_or(0, |stats| stats.reads)
}
