//! Development or production, as an operator meets them: the `serve` command run in a child
//! process (the test binary again, `child`, ignored in normal runs) with only the variables
//! given, its stdout read as a terminal or a log collector would.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use campushub::server::{Args, Server};
use clap::Parser;

use crate::support::process::{free_port, rerun_clean, sigterm};

/// Marks the child process.
const MARKER: &str = "CAMPUSHUB_E2E_DEPLOYMENT_CHILD";

/// The test this module runs in a child process.
const CHILD: &str = "deployment::child";

/// The child: `serve`, configured from its environment, until SIGTERM; a failure is printed
/// as `error: …` and exits with status 1.
#[test]
#[ignore = "run in a child process by the deployment tests"]
fn child() {
    if std::env::var_os(MARKER).is_none() {
        return;
    }
    let outcome = Args::try_parse_from(["campushub", "serve"])
        .map_err(|e| e.to_string())
        .and_then(|args| {
            let config = args.config().map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime
                .block_on(Server::new().run(&args, config))
                .map_err(|e| e.to_string())
        });
    if let Err(error) = outcome {
        println!("error: {error}");
        std::process::exit(1);
    }
}

/// What the server printed to stdout until it said it listens (then it is stopped), or until
/// it exited.
fn serve(vars: &[(&str, String)]) -> Vec<String> {
    let mut command = rerun_clean(CHILD);
    let mut child = command
        .env(MARKER, "1")
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while let Ok(line) = received.recv_timeout(Duration::from_secs(30)) {
        let listening = line.contains("listening on");
        printed.push(line);
        if listening {
            // Whatever it prints about tokens comes right after.
            while let Ok(line) = received.recv_timeout(Duration::from_millis(500)) {
                printed.push(line);
            }
            sigterm(child.id());
            break;
        }
    }
    let _ = child.wait();
    printed
}

const STRONG_SECRET: &str = "q1J6mU0k6v3pQ0dXh8zJY3r5m2bZ3k0Q9o3WcE7vF1t2yR8s";

#[test]
fn production_refuses_a_missing_or_weak_secret_in_one_line() {
    let bind = format!("0.0.0.0:{}", free_port());
    let cases = [
        (
            vec![("CAMPUSHUB_BIND", bind.clone())],
            "CAMPUSHUB_JWT_SECRET: is required in production",
        ),
        (
            vec![
                ("CAMPUSHUB_ENV", "production".to_owned()),
                ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
                ("CAMPUSHUB_JWT_SECRET", "a".repeat(48)),
            ],
            "CAMPUSHUB_JWT_SECRET: looks too regular to be random",
        ),
        (
            vec![
                ("CAMPUSHUB_ENV", "production".to_owned()),
                ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
                ("CAMPUSHUB_JWT_SECRET", "too-short".to_owned()),
            ],
            "CAMPUSHUB_JWT_SECRET: must be at least 32 characters",
        ),
    ];
    for (vars, expected) in cases {
        let error = refusal(&vars);
        assert!(error.contains(expected), "{error}");
    }
}

/// The one `error: …` line of a start that must fail, asserting that the server never
/// listened.
fn refusal(vars: &[(&str, String)]) -> String {
    let printed = serve(vars);
    assert!(
        !printed.iter().any(|l| l.contains("listening")),
        "{printed:?}"
    );
    let error = printed.iter().find(|l| l.starts_with("error: "));
    error
        .unwrap_or_else(|| panic!("no error: {printed:?}"))
        .clone()
}

#[test]
fn production_refuses_plaintext_to_another_host_in_one_line() {
    let production = |url_variable: &'static str, url: &str| {
        let mut vars = vec![
            ("CAMPUSHUB_ENV", "production".to_owned()),
            ("CAMPUSHUB_JWT_SECRET", STRONG_SECRET.to_owned()),
            ("CAMPUSHUB_BIND", format!("127.0.0.1:{}", free_port())),
            (url_variable, url.to_owned()),
        ];
        if url_variable != "CAMPUSHUB_DATABASE_URL" {
            vars.push(("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()));
        }
        vars
    };
    let cases = [
        (
            production(
                "CAMPUSHUB_DATABASE_URL",
                "postgres://app:hunter2@db.invalid/erp",
            ),
            "add `sslmode=verify-full`",
        ),
        (
            production(
                "CAMPUSHUB_DATABASE_URL",
                "postgres://app@db.invalid/erp?sslmode=prefer",
            ),
            "TLS is required",
        ),
        (
            production(
                "CAMPUSHUB_REDIS_URL",
                "redis://:hunter2@cache.invalid:6379/",
            ),
            "use `rediss://`",
        ),
    ];
    for (vars, expected) in cases {
        let error = refusal(&vars);
        assert!(error.contains(expected), "{error}");
        assert!(error.contains("CAMPUSHUB_BACKEND_TLS"), "{error}");
        assert!(
            !error.contains("hunter2"),
            "a password was printed: {error}"
        );
    }
}

#[test]
fn production_prints_no_token_and_development_does() {
    let production = [
        ("CAMPUSHUB_ENV", "production".to_owned()),
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_JWT_SECRET", STRONG_SECRET.to_owned()),
        ("CAMPUSHUB_BIND", format!("127.0.0.1:{}", free_port())),
    ];
    let printed = serve(&production);
    assert!(
        printed.iter().any(|l| l.contains("listening on")),
        "{printed:?}"
    );
    assert!(
        !printed.iter().any(|l| l.contains("eyJ")),
        "a token was printed: {printed:?}"
    );
    let development = [
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_DEMO_DATA", "false".to_owned()),
        ("CAMPUSHUB_BIND", format!("127.0.0.1:{}", free_port())),
    ];
    let printed = serve(&development);
    assert!(
        printed.iter().any(|l| l.contains("export TOKEN=eyJ")),
        "{printed:?}"
    );
}
