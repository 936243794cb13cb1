//! Clients generated from the served document read like hand-written ones and work: two
//! generators make a client of `/api/v1/openapi.json` without a single warning, the Python
//! client does a round trip against a server process (`clients/round_trip.py`: create a
//! department and a student, list with filters, patch with `If-Match`, read statistics,
//! delete), and the TypeScript types check against what a TypeScript client writes
//! (`clients/usage.ts`).
//!
//! The generators (openapi-python-client; openapi-typescript with the TypeScript compiler)
//! come from `scripts/test-tools.sh`, pinned, under `$CAMPUSHUB_TOOLS_DIR` (default
//! `/tmp/campushub-tools`); the test runs offline and fails (never skips) without them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use crate::support::process::ProcessInstance;
use crate::support::tools::{shown, tool, Scratch};

/// This test's own files: the generator's configuration, the round trip, the TypeScript usage.
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("e2e")
        .join("clients")
}

/// `output` of `what`, which must have succeeded and printed only lines `quiet` accepts: a
/// warning fails the test.
fn check_quiet(what: &str, output: &Output, quiet: impl Fn(&str) -> bool) {
    assert!(output.status.success(), "{what} failed:\n{}", shown(output));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let noise: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !quiet(line))
        .collect();
    assert!(noise.is_empty(), "{what} said more than it should:\n{said}");
}

/// `PATH` with the Python tools' `bin` first: openapi-python-client formats what it
/// generates with the `ruff` installed beside it.
fn path_with(bin: &Path) -> OsString {
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("a PATH")
}

/// Generates the Python client of `document` into `dir/python`, with no warning.
fn generate_python(document: &Path, dir: &Path) -> PathBuf {
    let generator = tool("clients/bin/openapi-python-client");
    let out = dir.join("python");
    let bin = generator.parent().expect("the tools' bin");
    let output = Command::new(&generator)
        .current_dir(dir)
        .env("PATH", path_with(bin))
        .arg("generate")
        .arg("--path")
        .arg(document)
        .arg("--output-path")
        .arg(&out)
        .arg("--config")
        .arg(fixtures().join("openapi-python-client.yaml"))
        .arg("--fail-on-warning")
        .output()
        .expect("openapi-python-client runs");
    check_quiet("openapi-python-client", &output, |line| {
        line.starts_with("Generating ")
    });
    out
}

/// Generates the TypeScript types of `document` into `dir/ts/api.ts`, with no warning, and
/// type-checks `usage.ts` against them.
fn generate_and_check_typescript(document: &Path, dir: &Path) {
    let ts = dir.join("ts");
    std::fs::create_dir_all(&ts).expect("a directory for the TypeScript client");
    let output = Command::new(tool("npm/node_modules/.bin/openapi-typescript"))
        .current_dir(dir)
        .arg(document)
        .arg("--output")
        .arg(ts.join("api.ts"))
        .output()
        .expect("openapi-typescript runs");
    // It announces itself (`✨ openapi-typescript 7.13.0`) and what it wrote (`🚀 ... → ...`).
    check_quiet("openapi-typescript", &output, |line| {
        line.starts_with('✨') || line.starts_with('🚀')
    });
    std::fs::copy(fixtures().join("usage.ts"), ts.join("usage.ts")).expect("usage.ts copied");
    let output = Command::new(tool("npm/node_modules/.bin/tsc"))
        .current_dir(&ts)
        .args([
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "esnext",
            "--moduleResolution",
            "bundler",
            "api.ts",
            "usage.ts",
        ])
        .output()
        .expect("tsc runs");
    check_quiet("tsc", &output, |_| false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_clients_have_no_warnings_and_the_python_one_does_a_round_trip() {
    let server =
        ProcessInstance::spawn(&[("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned())]).await;
    // A select custom field: the served document lists its filters and names its choices
    // (`StudentCfHouse`), and the round trip filters on it.
    server
        .http
        .create(
            "/api/v1/custom-fields",
            json!({"entity": "student", "name": "house", "label": "House",
                   "field_type": "select", "choices": ["RED", "BLUE"]}),
        )
        .await;

    let document = server.http.get("/api/v1/openapi.json").await;
    assert_eq!(document.status, 200);
    let scratch = Scratch::new("clients");
    let dir = scratch.path();
    let file = dir.join("openapi.json");
    std::fs::write(&file, document.text()).expect("the document is written");

    generate_and_check_typescript(&file, dir);
    let client = generate_python(&file, dir);

    let output = Command::new(tool("clients/bin/python"))
        .current_dir(dir)
        .args(["-W", "error"])
        .arg(fixtures().join("round_trip.py"))
        .env("PYTHONPATH", &client)
        .env("CAMPUSHUB_URL", format!("http://{}", server.address()))
        .env(
            "CAMPUSHUB_TOKEN",
            server.http.token().expect("an admin token"),
        )
        .output()
        .expect("the round trip runs");
    check_quiet("the Python round trip", &output, |line| {
        line == "round trip: ok"
    });
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("round trip: ok"),
        "the round trip ran to its end:\n{}",
        shown(&output)
    );
}
