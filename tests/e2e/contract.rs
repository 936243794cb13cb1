//! The OpenAPI document is the contract: an OpenAPI 3.1 validator accepts the served document,
//! and schemathesis, run with every check against a server process (SQLite, demo data), finds
//! nothing: every schema-valid request is accepted (or refused only as `schemathesis.toml`
//! allows: preconditions, conflicts, references to missing records), every schema-violating
//! one refused, every response as documented.
//!
//! `schemathesis_hooks.py` tells schemathesis how to make values of the one format the
//! document names that it does not know (`entity-tags`, the condition headers' syntax).
//!
//! Both tools come from `scripts/test-tools.sh`, pinned, in a virtual environment under
//! `$CAMPUSHUB_TOOLS_DIR` (default `/tmp/campushub-tools`); without them the test fails saying
//! so. The run is fixed (seed, examples per operation), so a finding is replayable with the
//! command the failure prints.

use std::path::Path;
use std::process::Command;

use crate::support::process::ProcessInstance;
use crate::support::tools::{shown, tool, Scratch};

/// The seed of every run: the same requests each time.
const SEED: &str = "20261127";

/// Examples per operation and phase: about three minutes in a debug build on two cores.
const MAX_EXAMPLES: &str = "40";

/// Validates `document` (JSON text) as OpenAPI 3.1 with openapi-spec-validator.
fn validate(document: &str, dir: &Path) {
    let file = dir.join("openapi.json");
    std::fs::write(&file, document).expect("the document is written");
    let output = Command::new(tool("schemathesis/bin/python"))
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&file)
        .output()
        .expect("openapi-spec-validator runs");
    assert!(
        output.status.success(),
        "the served document is not valid OpenAPI 3.1:\n{}",
        shown(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_a_server_process() {
    let st = tool("schemathesis/bin/st");
    let server = ProcessInstance::spawn(&[
        ("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned()),
        ("CAMPUSHUB_DEMO_DATA", "true".to_owned()),
        // Rate limits on (never reached), so that the document carries their `429` and the
        // `RateLimit` headers are on the responses checked.
        ("CAMPUSHUB_RATE_LIMIT", "1000000/1s".to_owned()),
    ])
    .await;
    let token = server.http.token().expect("an admin token").to_owned();
    let scratch = Scratch::new("contract");
    let dir = scratch.path();

    let document = server.http.get("/api/v1/openapi.json").await;
    assert_eq!(document.status, 200);
    let document = document.text();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&document).expect("JSON")["openapi"],
        "3.1.0"
    );
    validate(&document, dir);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = root.join("schemathesis.toml");
    let output = Command::new(st)
        .current_dir(dir)
        // How to make values of the document's own formats (`entity-tags`).
        .env("PYTHONPATH", root.join("tests").join("e2e"))
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .arg("--config-file")
        .arg(&config)
        .args([
            "--no-color",
            "run",
            &format!("http://{}/api/v1/openapi.json", server.address()),
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            "all",
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--generation-database",
            "none",
            // The report shows header values (a `Consistency-Token` that was refused, say) as
            // sent, so that a failure can be replayed; the token is a test token.
            "--output-sanitize",
            "false",
        ])
        .output()
        .expect("schemathesis runs");
    assert!(
        output.status.success(),
        "schemathesis found disagreements between the document and the server:\n{}",
        shown(&output)
    );
}
