//! The examples run as an application developer runs them (`cargo run --example ...`), and
//! what they print is what they promise.

use crate::support::tools::cargo;

/// `cargo run --example <name>` from the workspace, with the features this test binary was
/// built with (so that cargo reuses its build); its standard output.
fn run_example(name: &str) -> String {
    let output = cargo()
        .args(["run", "--quiet", "--all-features", "--example", name])
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "`cargo run --example {name}` failed: {}\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// The JSON document printed on the line after the one starting with `prefix`.
fn json_after(stdout: &str, prefix: &str) -> serde_json::Value {
    let mut lines = stdout.lines().skip_while(|line| !line.starts_with(prefix));
    let status = lines
        .next()
        .unwrap_or_else(|| panic!("no `{prefix}` in:\n{stdout}"));
    assert!(
        status.ends_with("OK") || status.ends_with("Created"),
        "{status}"
    );
    let body = lines.next().expect("a body after the status line");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("`{body}` is not JSON: {e}"))
}

/// The derived `Course` kind of `examples/custom_entity.rs`: its OpenAPI input carries the
/// field attributes' constraints, a course is created with its department embedded, and the
/// list filters and orders by its declared fields.
#[test]
fn custom_entity_example_creates_and_lists_a_derived_kind() {
    let stdout = run_example("custom_entity");
    let openapi: serde_json::Value = stdout
        .lines()
        .next()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("the first line is the OpenAPI input schema:\n{stdout}"));
    assert_eq!(openapi["properties"]["code"]["maxLength"], 20);
    assert_eq!(openapi["properties"]["credits"]["minimum"], 1);
    assert_eq!(openapi["properties"]["credits"]["maximum"], 12);
    assert_eq!(
        openapi["required"],
        serde_json::json!(["code", "title", "credits"])
    );
    assert_eq!(openapi["properties"]["department"]["readOnly"], true);

    let created = json_after(&stdout, "POST /api/v1/courses -> 201");
    assert_eq!(created["code"], "CS1");
    assert_eq!(created["credits"], 4);
    assert_eq!(created["department"]["code"], "CSE");
    assert_eq!(created["department"]["id"], created["department_id"]);

    let page = json_after(
        &stdout,
        "GET /api/v1/courses?credits__gte=3&ordering=code -> 200",
    );
    let results = page["results"].as_array().expect("a list page");
    assert_eq!(results.len(), 1, "{page}");
    assert_eq!(results[0]["id"], created["id"]);
    assert_eq!(results[0]["department"]["name"], "Computing");
}
