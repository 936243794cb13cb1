//! Bad configuration is one clear error naming the variable (no service needed).

use std::collections::HashMap;
use std::time::Duration;

use campushub::server::{Args, Command, Config, VARIABLES};

fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(|name| vars.get(name).cloned()).map_err(|e| e.to_string())
}

#[test]
fn every_bad_value_names_its_variable() {
    let cases = [
        ("CAMPUSHUB_DATABASE_URL", "mysql://localhost/db"),
        ("CAMPUSHUB_REDIS_URL", "localhost:6379"),
        ("CAMPUSHUB_CACHE", "sometimes"),
        ("CAMPUSHUB_BIND", "localhost"),
        ("CAMPUSHUB_DEMO_DATA", "maybe"),
        ("CAMPUSHUB_METRICS_PUBLIC", "2"),
        ("CAMPUSHUB_JWT_SECRET", "short"),
        ("CAMPUSHUB_API_KEYS", "no-colons"),
        ("CAMPUSHUB_WARM_INTERVAL", "soon"),
        ("CAMPUSHUB_DB_MAX_CONNECTIONS", "0"),
        ("CAMPUSHUB_CORS_ORIGINS", "erp.example.edu"),
        ("CAMPUSHUB_SHUTDOWN_DRAIN", "a while"),
        ("CAMPUSHUB_SHUTDOWN_GRACE", "-1"),
    ];
    for (variable, value) in cases {
        let error = load(&[(variable, value)]).expect_err(variable);
        assert!(error.contains(variable), "{variable}={value}: {error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }
}

#[test]
fn replicas_need_postgres_and_postgres_needs_a_shared_secret() {
    let error = load(&[("CAMPUSHUB_REPLICA_URLS", "postgres://r/db")]).expect_err("sqlite");
    assert!(error.contains("CAMPUSHUB_REPLICA_URLS"), "{error}");
    let error = load(&[("CAMPUSHUB_DATABASE_URL", "postgres://p/db")]).expect_err("secret");
    assert!(error.contains("CAMPUSHUB_JWT_SECRET"), "{error}");
    let error = load(&[
        ("CAMPUSHUB_DATABASE_URL", "postgres://p/db"),
        (
            "CAMPUSHUB_JWT_SECRET",
            "a-secret-of-at-least-thirty-two-characters",
        ),
        ("CAMPUSHUB_REPLICA_URLS", "postgres://r1/db,redis://r2"),
    ])
    .expect_err("replica URL");
    assert!(error.contains("CAMPUSHUB_REPLICA_URLS"), "{error}");
}

#[test]
fn defaults_are_the_one_command_start() {
    let config = load(&[]).expect("defaults");
    assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    assert!(config.demo_data && config.cache && !config.metrics_public);
    assert!(config.redis_url.is_none());
    // No drain unless asked; a grace above the router's 30 s request timeout.
    assert_eq!(config.shutdown_drain, Duration::ZERO);
    assert_eq!(config.shutdown_grace, Duration::from_secs(35));
}

#[test]
fn flags_mirror_variables_and_unknown_flags_are_refused() {
    let args = |list: &[&str]| Args::parse(list.iter().map(|s| (*s).to_owned()), &VARIABLES);
    let parsed = args(&["--bind", "127.0.0.1:9000", "--cache=off"]).expect("flags");
    assert_eq!(parsed.command, Command::Serve);
    assert_eq!(
        parsed.mirror("CAMPUSHUB_BIND").as_deref(),
        Some("127.0.0.1:9000")
    );
    assert_eq!(parsed.mirror("CAMPUSHUB_CACHE").as_deref(), Some("off"));
    let seed = args(&["seed", "--students", "10"]).expect("seed");
    assert_eq!(seed.command, Command::Seed);
    assert!(
        args(&["seed", "--sub", "x"]).is_err(),
        "--sub belongs to token"
    );
    assert!(args(&["--databse-url", "x"]).is_err(), "typo");
    assert!(args(&["frobnicate"]).is_err());
}
