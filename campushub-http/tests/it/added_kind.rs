//! An application's own kind served beside the built-in ones (`ApiState::resource`): behind
//! the same authentication, with the same problems, in the OpenAPI document and the metrics,
//! and embedding the department it references as students do.

use std::sync::{Arc, LazyLock};

use axum::http::{Method, StatusCode};
use campushub_core::schema::{join_fields, FieldSpec, FieldType, Ops, META_FIELDS};
use campushub_core::{
    Department, Embed, Embedded, Entity, EntityKind, EntityService, RecordMeta, Relation, Scalar,
    Schema, ValidationErrors,
};
use campushub_http::{ApiState, HttpConfig, ResourceRoutes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::support::{credentials, department, id_of, App};

/// A lecture room: the smallest useful application kind, perhaps run by a department.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Room {
    #[serde(flatten)]
    meta: RecordMeta,
    #[serde(flatten)]
    input: RoomInput,
    /// The department's summary, attached by the store on read.
    #[serde(default)]
    department: Option<Embedded>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomInput {
    code: String,
    capacity: i64,
    #[serde(default)]
    department_id: Option<Uuid>,
}

/// A room's department, embedded with its code and name.
const RELATIONS: &[Relation] =
    &[Relation::to::<Department>("department_id")
        .embed(Embed::new("department", &["code", "name"]))];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema {
    kind: EntityKind::new("room"),
    fields: join_fields(&[
        &META_FIELDS,
        &[
            FieldSpec::new("code", FieldType::Text)
                .filter(Ops::STRING)
                .order(),
            FieldSpec::new("capacity", FieldType::Int)
                .filter(Ops::ORDERED)
                .order(),
            FieldSpec::new("department_id", FieldType::Uuid)
                .filter(Ops::EXACT)
                .nullable(),
        ],
    ]),
    search: &["code"],
    natural_key: Some("code"),
    stats: &["capacity"],
    relations: RELATIONS,
    embedded_in: &[],
    writable: &[&["code", "capacity", "department_id"]],
    required: &[&["code", "capacity"]],
    read_only: &["department"],
});

impl Entity for Room {
    type Create = RoomInput;
    const KIND: EntityKind = EntityKind::new("room");
    fn schema() -> &'static Schema {
        &SCHEMA
    }
    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut RecordMeta {
        &mut self.meta
    }
    fn from_input(input: RoomInput, meta: RecordMeta, _actor: &str) -> Self {
        Room {
            meta,
            input,
            department: None,
        }
    }
    fn to_input(&self) -> RoomInput {
        self.input.clone()
    }
    fn apply_input(&mut self, input: RoomInput, _actor: &str) {
        self.input = input;
    }
    fn validate(&self, errors: &mut ValidationErrors) {
        if self.input.capacity < 1 {
            errors.add("capacity", "A room seats at least one.");
        }
    }
    fn field(&self, name: &str) -> Option<Scalar> {
        if let Some(value) = self.meta.field(name) {
            return value;
        }
        match name {
            "code" => Some(self.input.code.clone().into()),
            "capacity" => Some(self.input.capacity.into()),
            "department_id" => self.input.department_id.map(Scalar::Uuid),
            _ => None,
        }
    }
    fn set_embedded(&mut self, field: &str, summary: Option<&Embedded>) {
        if field == "department" {
            self.department = summary.cloned();
        }
    }
}

/// A router serving rooms beside the built-in kinds (its configuration caps pages at 5).
pub fn app() -> App {
    App::with_store(|store, services| {
        let rooms = EntityService::builder(Arc::new(store.repository::<Room>())).build();
        // A config the router replaces with its own (a page size cap of 5).
        let config = Arc::new(HttpConfig::default());
        let routes = ResourceRoutes::new("rooms", rooms, config).with_stats();
        ApiState::new(services, Arc::new(credentials()))
            .config(HttpConfig {
                max_page_size: 5,
                ..HttpConfig::default()
            })
            .resource(routes)
    })
}

#[tokio::test]
async fn an_added_kind_is_served_like_the_built_in_ones() {
    let app = app();
    let created = app
        .post("/api/v1/rooms", json!({"code": "LT-1", "capacity": 120}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    assert!(created.header("location").starts_with("/api/v1/rooms/"));
    assert!(!created.header("etag").is_empty());

    let listed = app.get("/api/v1/rooms?capacity__gte=100").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["results"][0]["code"], "LT-1");
    let stats = app.get("/api/v1/rooms/stats").await;
    assert_eq!(stats.json()["total"], 1);

    // The same problems, the router's configuration, the same authentication.
    let invalid = app
        .post("/api/v1/rooms", json!({"code": "LT-2", "capacity": 0}))
        .await;
    // The kind's own rule (in `validate`): a well-formed body it refuses.
    invalid.field_problem(StatusCode::UNPROCESSABLE_ENTITY, "capacity");
    let missing = app.post("/api/v1/rooms", json!({})).await;
    missing.field_problem(StatusCode::BAD_REQUEST, "code");
    missing.field_problem(StatusCode::BAD_REQUEST, "capacity");
    let too_big = app.get("/api/v1/rooms?page_size=6").await;
    too_big.field_problem(StatusCode::BAD_REQUEST, "page_size");
    let anonymous = app.call(Method::GET, "/api/v1/rooms", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_added_kind_embeds_the_department_it_references() {
    let app = app();
    let cse = app
        .post("/api/v1/departments", department("CSE"))
        .await
        .json();
    let body = json!({"code": "LT-1", "capacity": 120, "department_id": cse["id"]});
    let room = app.post("/api/v1/rooms", body).await;
    assert_eq!(room.status, StatusCode::CREATED, "{:?}", room.json());
    let summary = json!({"id": cse["id"], "code": "CSE", "name": cse["name"]});

    let read = app
        .get(&format!("/api/v1/rooms/{}", id_of(&room.json())))
        .await;
    assert_eq!(read.json()["department"], summary);
    let listed = app.get("/api/v1/rooms").await;
    assert_eq!(listed.json()["results"][0]["department"], summary);
    // The same shape as a student's department.
    let student = crate::support::student("R1", cse["id"].as_str());
    let student = app.post("/api/v1/students", student).await;
    let student = app
        .get(&format!("/api/v1/students/{}", id_of(&student.json())))
        .await;
    assert_eq!(student.json()["department"], summary);

    let missing = json!({"code": "LT-2", "capacity": 10, "department_id": Uuid::now_v7()});
    let missing = app.post("/api/v1/rooms", missing).await;
    missing.field_problem(StatusCode::UNPROCESSABLE_ENTITY, "department_id");
}

#[tokio::test]
async fn an_added_kind_is_in_the_document_and_the_metrics() {
    let app = app();
    let document = app.get("/api/v1/openapi.json").await.json();
    for path in ["/api/v1/rooms", "/api/v1/rooms/{id}", "/api/v1/rooms/stats"] {
        assert!(document["paths"][path].is_object(), "{path}");
    }
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["RoomInput"]["required"],
        json!(["code", "capacity"])
    );
    // Named and identified by the same rules as the built-in kinds.
    for name in ["Room", "RoomPatch", "RoomPage", "RoomStats", "RoomOrdering"] {
        assert!(schemas[name].is_object(), "{name}");
    }
    for (path, method, id) in [
        ("/api/v1/rooms", "get", "rooms_list"),
        ("/api/v1/rooms/{id}", "patch", "rooms_partial_update"),
        ("/api/v1/rooms/stats", "get", "rooms_stats"),
    ] {
        assert_eq!(document["paths"][path][method]["operationId"], id);
    }
    // The built-in resources are still there.
    assert!(document["paths"]["/api/v1/students"].is_object());

    app.get("/api/v1/rooms").await;
    let metrics = app.get("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        text.contains(r#"http_requests_total{route="/api/v1/rooms",status="200"} 1"#),
        "{text}"
    );
}
