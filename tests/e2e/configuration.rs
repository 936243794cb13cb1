//! Bad configuration is one clear error naming the flag and the variable, and the command
//! line's help lists each command's flags (no service needed).

use std::collections::HashMap;
use std::time::Duration;

use campushub::server::{Args, Command, Config, VARIABLES};
use clap::error::ErrorKind;
use clap::Parser;

fn load(vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(|name| vars.get(name).cloned()).map_err(|e| e.to_string())
}

fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
    Args::try_parse_from(std::iter::once("campushub").chain(argv.iter().copied()))
}

/// What `argv` prints as its help (an error of kind `DisplayHelp`, which exits with 0).
fn help(argv: &[&str]) -> String {
    let shown = parse(argv).expect_err("help is not a command to run");
    assert_eq!(shown.kind(), ErrorKind::DisplayHelp, "{argv:?}: {shown}");
    assert!(!shown.use_stderr(), "help goes to stdout");
    shown.to_string()
}

#[test]
fn every_bad_value_names_its_flag_and_variable() {
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
        ("CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES", "0"),
        ("CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES", "many"),
        ("CAMPUSHUB_DB_MAX_CONNECTIONS", "0"),
        ("CAMPUSHUB_CORS_ORIGINS", "erp.example.edu"),
        ("CAMPUSHUB_REQUIRE_IF_MATCH", "students,"),
        ("CAMPUSHUB_LOG_FORMAT", "xml"),
        ("CAMPUSHUB_SLOW_STATEMENT", "slowly"),
        ("CAMPUSHUB_SHUTDOWN_DRAIN", "a while"),
        ("CAMPUSHUB_SHUTDOWN_GRACE", "-1"),
        ("CAMPUSHUB_ENV", "staging"),
        ("CAMPUSHUB_DB_STATEMENT_TIMEOUT", "forever"),
        ("CAMPUSHUB_HEADER_TIMEOUT", "5 minutes"),
        ("CAMPUSHUB_REQUEST_TIMEOUT", "0s"),
        ("CAMPUSHUB_REQUEST_TIMEOUT", "long"),
        ("CAMPUSHUB_MAX_CONNECTIONS", "0"),
        ("CAMPUSHUB_MAX_IN_FLIGHT", "lots"),
        ("CAMPUSHUB_COUNT_CAP", "0"),
        ("CAMPUSHUB_COUNT_CAP", "unbounded"),
        ("CAMPUSHUB_IMPORT_MAX_BYTES", "32MB"),
        ("CAMPUSHUB_IMPORT_MAX_BYTES", "0"),
        ("CAMPUSHUB_IMPORT_MAX_ROWS", "many"),
        ("CAMPUSHUB_IMPORT_MAX_CELL_CHARS", "-5"),
        (
            "CAMPUSHUB_CURSOR_KEY",
            "0000000000000000000000000000000000000000",
        ),
    ];
    let secrets = [
        "CAMPUSHUB_JWT_SECRET",
        "CAMPUSHUB_API_KEYS",
        "CAMPUSHUB_CURSOR_KEY",
    ];
    for (variable, value) in cases {
        let error = load(&[(variable, value)]).expect_err(variable);
        assert!(error.contains(variable), "{variable}={value}: {error}");
        assert!(!error.contains('\n'), "one line: {error}");
        let flag = variable
            .trim_start_matches("CAMPUSHUB_")
            .to_ascii_lowercase()
            .replace('_', "-");
        let named = error.contains(&format!("--{flag} ({variable})"));
        // A secret has no flag to name.
        assert_eq!(named, !secrets.contains(&variable), "{error}");
    }
    let error = load(&[("CAMPUSHUB_BIND", "x")]).expect_err("bind");
    assert_eq!(
        error,
        "invalid configuration: --bind (CAMPUSHUB_BIND): `x` is not an address and port such \
         as 127.0.0.1:8080"
    );
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
    assert_eq!(config.cache_max_query_entries, 10_000);
    assert_eq!(config.count_cap, Some(1_000));
    assert_eq!(config.imports, campushub::http::ImportLimits::default());
    let sized = load(&[("CAMPUSHUB_IMPORT_MAX_BYTES", "64MiB")]).expect("a size");
    assert_eq!(sized.imports.max_file_bytes, 64 << 20);
    // No drain unless asked; a grace above the router's 30 s request timeout.
    assert_eq!(config.shutdown_drain, Duration::ZERO);
    assert_eq!(config.shutdown_grace, Duration::from_secs(35));
}

#[test]
fn the_count_cap_is_a_number_or_off() {
    let capped = load(&[("CAMPUSHUB_COUNT_CAP", "500")]).expect("a cap");
    assert_eq!(capped.count_cap, Some(500));
    let exact = load(&[("CAMPUSHUB_COUNT_CAP", "off")]).expect("off");
    assert_eq!(exact.count_cap, None);
    let flag = parse(&["--count-cap", "off"]).expect("the flag");
    assert_eq!(flag.setting("CAMPUSHUB_COUNT_CAP"), Some("off"));
}

#[test]
fn flags_mirror_variables_and_unknown_flags_are_refused() {
    let argv = [
        "--bind",
        "127.0.0.1:9000",
        "--cache=off",
        "--cache-max-query-entries",
        "500",
    ];
    let parsed = parse(&argv).expect("flags");
    assert_eq!(parsed.subcommand(), &Command::Serve);
    assert_eq!(parsed.setting("CAMPUSHUB_BIND"), Some("127.0.0.1:9000"));
    assert_eq!(parsed.setting("CAMPUSHUB_CACHE"), Some("off"));
    assert_eq!(
        parsed.setting("CAMPUSHUB_CACHE_MAX_QUERY_ENTRIES"),
        Some("500")
    );
    let seed = parse(&["seed", "--students", "10"]).expect("seed");
    assert!(matches!(
        seed.subcommand(),
        Command::Seed { students: 10, .. }
    ));
    let refused = [
        (&["seed", "--sub", "x"][..], "--sub belongs to token"),
        (&["--databse-url", "x"], "typo"),
        (&["frobnicate"], "no such command"),
        (&["token", "--role", "admin"], "--sub is required"),
        (&["token", "--sub", "a", "--role", "dean"], "no such role"),
    ];
    for (argv, why) in refused {
        let error = parse(argv).expect_err(why);
        assert!(error.use_stderr(), "{why}: an error, exit status 2");
        assert_eq!(error.exit_code(), 2, "{why}");
    }
    let error = parse(&["--databse-url", "x"]).expect_err("typo");
    assert!(
        error.to_string().contains("--database-url"),
        "a suggestion: {error}"
    );
}

#[test]
fn every_variable_but_the_secrets_is_a_flag() {
    let secrets = [
        "CAMPUSHUB_JWT_SECRET",
        "CAMPUSHUB_API_KEYS",
        "CAMPUSHUB_CURSOR_KEY",
    ];
    let text = help(&["--help"]);
    for variable in VARIABLES {
        let flag = variable
            .trim_start_matches("CAMPUSHUB_")
            .to_ascii_lowercase()
            .replace('_', "-");
        let listed = text.contains(&format!("--{flag} <"));
        assert_eq!(listed, !secrets.contains(&variable), "--{flag} in\n{text}");
        // Every variable is named: the flags' beside them, the secrets' below.
        assert!(text.contains(variable), "{variable} in\n{text}");
    }
}

#[test]
fn secrets_are_refused_as_flags() {
    for flag in [
        "--jwt-secret",
        "--api-keys",
        "--cursor-key",
        "--jwt-secret-file",
    ] {
        let error = parse(&[flag, "a-secret-of-at-least-thirty-two-characters"]).expect_err(flag);
        assert_eq!(error.kind(), ErrorKind::UnknownArgument, "{flag}: {error}");
        assert!(error.to_string().contains(flag), "{error}");
    }
}

#[test]
fn each_command_has_help_listing_its_flags() {
    let cases: [(&[&str], &[&str]); 8] = [
        (
            &["--help"],
            &[
                "serve",
                "seed",
                "token",
                "migrate",
                "verify-aggregates",
                "completions",
                "--bind",
            ],
        ),
        (
            &["verify-aggregates", "--help"],
            &["--database-url", "CAMPUSHUB_DATABASE_URL_FILE"],
        ),
        (
            &["serve", "--help"],
            &["--bind", "--database-url", "--shutdown-grace"],
        ),
        (
            &["seed", "--help"],
            &["--departments", "--students", "--faculty", "--database-url"],
        ),
        (&["token", "--help"], &["--sub", "--role", "--ttl", "30d"]),
        (
            &["migrate", "--help"],
            &["--database-url", "CAMPUSHUB_DATABASE_URL_FILE"],
        ),
        (&["help", "token"], &["--sub", "--role", "--ttl"]),
        (&["completions", "--help"], &["bash", "zsh", "fish"]),
    ];
    for (argv, flags) in cases {
        let text = help(argv);
        for flag in flags {
            assert!(text.contains(flag), "{argv:?} lists {flag}:\n{text}");
        }
        assert!(
            !text.contains("--jwt-secret"),
            "{argv:?} offers no secret flag:\n{text}"
        );
    }
    // The secrets and the passwords in URLs are explained where they are read.
    let text = help(&["serve", "--help"]);
    assert!(text.contains("CAMPUSHUB_JWT_SECRET_FILE") || text.contains("<variable>_FILE"));
    assert!(text.contains("visible to `ps`"), "{text}");
    // The seed flags belong to seed only.
    assert!(!help(&["token", "--help"]).contains("--students"));
}

#[test]
fn a_public_key_needs_an_issuer_and_an_audience() {
    let key = ("CAMPUSHUB_JWT_PUBLIC_KEY_FILE", "/etc/campushub/idp.pem");
    let error = load(&[key]).expect_err("no issuer");
    assert!(error.contains("CAMPUSHUB_JWT_ISSUER"), "{error}");
    let issuer = ("CAMPUSHUB_JWT_ISSUER", "https://idp.example.edu");
    let error = load(&[key, issuer]).expect_err("no audience");
    assert!(error.contains("CAMPUSHUB_JWT_AUDIENCE"), "{error}");
    let audience = ("CAMPUSHUB_JWT_AUDIENCE", "campushub");
    let config = load(&[key, issuer, audience]).expect("complete");
    assert_eq!(
        config.jwt_issuer.as_deref(),
        Some("https://idp.example.edu")
    );
    assert_eq!(config.jwt_audience.as_deref(), Some("campushub"));
}
