//! The interactive API reference at `/docs/`, loaded by a real browser (headless Chromium,
//! installed by `scripts/test-tools.sh`): its files come from the server alone, and once signed
//! in it lists the API's operations.

use std::process::Command;

use crate::support::Instance;

/// The headless browser; the test fails (never skips) when it is missing.
fn chromium() -> String {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok());
    found
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no Chromium: run `scripts/test-tools.sh` (it installs it)"))
}

/// The DOM of `url` once its scripts have run (up to 20 s of virtual time).
fn rendered(url: &str) -> String {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("Chromium runs");
    assert!(
        output.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_lists_the_operations_from_the_servers_own_files() {
    let server = Instance::start(&[("CAMPUSHUB_DATABASE_URL", "sqlite::memory:".to_owned())]).await;
    let http = &server.http;

    let page = http.anonymous().get("/docs/").await;
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    let html = page.text();
    assert!(
        !html.contains("://"),
        "the page loads nothing from elsewhere:\n{html}"
    );
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "campushub-docs.js",
    ] {
        let reply = http.anonymous().get(&format!("/docs/{asset}")).await;
        assert_eq!(reply.status, 200, "{asset}");
    }
    assert_eq!(http.anonymous().get("/docs/nothing.js").await.status, 404);
    let redirect = http.anonymous().get("/docs").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location").as_deref(), Some("docs/"));

    // Signed out, the page asks for a credential and shows no operation.
    let signed_out = rendered(&format!("{}/docs/", server.base));
    assert!(signed_out.contains("id=\"sign-in\""), "{signed_out}");
    assert!(!signed_out.contains("opblock-summary"), "{signed_out}");

    // With a token in the fragment (never sent to the server) it lists the operations.
    let token = http.token().expect("an admin token");
    let dom = rendered(&format!("{}/docs/#token={token}", server.base));
    for operation in [
        "/api/v1/students",
        "/api/v1/students/{id}",
        "/api/v1/departments",
        "/api/v1/analytics/summary",
    ] {
        assert!(
            dom.contains(&format!("data-path=\"{operation}\"")),
            "{operation} is not listed:\n{dom}"
        );
    }
    assert!(dom.contains("opblock-summary-method"), "{dom}");
    assert_eq!(server.stop().await, Ok(()));
}
