//! What an application adds with `Server::extend` is served beside the built-in kinds, wired
//! as they are: a resource over the server's database, cache and cursor key, behind the same
//! authentication, in the same OpenAPI document.

use std::sync::Arc;

use campushub::core::Department;
use campushub::http::{HttpConfig, ResourceRoutes};
use campushub::server::Server;
use serde_json::json;

use crate::support::client::Reply;
use crate::support::records::id;
use crate::support::{Instance, Services, TestDb};

/// The records of a list page.
fn listed(page: &Reply) -> usize {
    assert_eq!(page.status, 200, "{}", page.text());
    page.json()["results"].as_array().map_or(0, Vec::len)
}

/// The server with departments served a second time, at `/api/v1/units`, through
/// `Server::extend`: an application's kind over the server's database, cache and cursor key.
pub fn with_units() -> Server {
    Server::new().extend(|core, state| {
        let units = core
            .service(core.storage.repository::<Department>())
            .build();
        let config = Arc::new(HttpConfig::default());
        state.resource(ResourceRoutes::new("units", units, config))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_serves_its_resource_beside_the_built_in_kinds() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    // A built-in kind mounted a second time stands in for an application's kind: its writes
    // must reach the built-in routes through the same table and the same cache.
    let server = with_units();
    let vars = [("CAMPUSHUB_DATABASE_URL", db.primary.clone())];
    let instance = Instance::start_with(&server, &vars).await;
    let http = &instance.http;

    let before = http.get("/api/v1/departments?code=EXT").await;
    assert_eq!(listed(&before), 0, "{}", before.text());
    let created = http
        .create("/api/v1/units", json!({"code": "EXT", "name": "Extension"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let unit = created.json();

    let read = http
        .get(&format!("/api/v1/departments/{}", id(&unit)))
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["code"], "EXT");
    let after = http.get("/api/v1/departments?code=EXT").await;
    assert_eq!(
        listed(&after),
        1,
        "the cached list saw the write: {}",
        after.text()
    );

    let anonymous = http.anonymous().get("/api/v1/units").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    let document = http.get("/api/v1/openapi.json").await.text();
    assert!(
        document.contains("/api/v1/units"),
        "the OpenAPI document lists the resource"
    );
    instance.stop().await.expect("a graceful stop");
}
