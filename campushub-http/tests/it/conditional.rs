//! Conditional requests as RFC 9110 §13 has them: any well-formed entity tag that does not
//! match is a 412 and only a malformed field a 400; `If-Match: *` on a missing record is 412;
//! a list matches if any tag does (strongly: weak tags never match `If-Match`);
//! `If-None-Match` on writes; `428` where `If-Match` is required; and `409` (never `412`) for
//! a write without a condition that concurrent writes keep overtaking.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{Method, StatusCode};
use campushub_core::repository::GroupCounts;
use campushub_core::{
    Department, Entity, EntityService, ListQuery, ReadOptions, ReadRoute, Repository, Result, Role,
    Written,
};
use campushub_http::{ApiState, HttpConfig, RequireIfMatch, ResourceRoutes};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{credentials, department, id_of, student, App, Reply};

/// `method` on `uri` as admin with `headers` (and, but for a delete, a body that changes
/// nothing of consequence).
async fn write(app: &App, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let body = match method {
        Method::DELETE => None,
        Method::PUT => Some(json!({"code": "CIV", "name": "Civil"})),
        _ => Some(json!({"name": "Civil"})),
    };
    app.call_with(method, uri, Some(&Role::ADMIN), body, headers)
        .await
}

const WRITES: [Method; 3] = [Method::PATCH, Method::PUT, Method::DELETE];

/// A department and its URI and current ETag.
async fn civil(app: &App) -> (String, String) {
    let created = app.post("/api/v1/departments", department("CIV")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let uri = format!("/api/v1/departments/{}", id_of(&created.json()));
    (uri, created.header("etag"))
}

#[tokio::test]
async fn a_well_formed_tag_that_does_not_match_is_412_on_every_write() {
    let app = App::new();
    let (uri, tag) = civil(&app).await;
    let (other, other_tag) = {
        let created = app.post("/api/v1/departments", department("OTH")).await;
        (id_of(&created.json()), created.header("etag"))
    };
    let id = uri.rsplit('/').next().expect("an id");
    let weak = format!("W/{tag}");
    let future = format!("\"{id}-99\"");
    for method in WRITES {
        for value in [
            "\"stale\"",
            weak.as_str(),
            other_tag.as_str(),
            future.as_str(),
            "\"\"",
        ] {
            let reply = write(&app, method.clone(), &uri, &[("if-match", value)]).await;
            let problem = reply.problem(StatusCode::PRECONDITION_FAILED);
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains("1"),
                "{method} {value}: says what is stored: {detail}"
            );
        }
    }
    let unchanged = app.get(&uri).await;
    assert_eq!(unchanged.header("etag"), tag, "nothing was written");
    assert_eq!(
        app.get(&format!("/api/v1/departments/{other}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_a_malformed_condition_field_is_400() {
    let app = App::new();
    let (uri, _) = civil(&app).await;
    for method in WRITES {
        for value in ["stale", "\"open", "W/x", "*, \"a\"", "\"a\" \"b\""] {
            let reply = write(&app, method.clone(), &uri, &[("if-match", value)]).await;
            reply.field_problem(StatusCode::BAD_REQUEST, "If-Match");
        }
        let reply = write(&app, method.clone(), &uri, &[("if-none-match", "nope")]).await;
        reply.field_problem(StatusCode::BAD_REQUEST, "If-None-Match");
    }
}

#[tokio::test]
async fn a_list_of_tags_matches_when_one_is_current_and_compares_strongly() {
    let app = App::new();
    let (uri, tag) = civil(&app).await;
    let list = format!("\"stale\", W/\"x\", {tag}");
    let patched = write(&app, Method::PATCH, &uri, &[("if-match", &list)]).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json());
    let current = patched.header("etag");
    let weak_only = format!("W/{current}, \"stale\"");
    let refused = write(&app, Method::PUT, &uri, &[("if-match", &weak_only)]).await;
    refused.problem(StatusCode::PRECONDITION_FAILED);
    let both = format!("{tag},{current}");
    let deleted = write(&app, Method::DELETE, &uri, &[("if-match", &both)]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn if_match_star_on_a_missing_record_is_412_and_no_condition_404() {
    let app = App::new();
    let uri = format!("/api/v1/departments/{}", Uuid::now_v7());
    for method in WRITES {
        write(&app, method.clone(), &uri, &[("if-match", "*")])
            .await
            .problem(StatusCode::PRECONDITION_FAILED);
        let tag = format!("\"{}-1\"", uri.rsplit('/').next().expect("id"));
        write(&app, method.clone(), &uri, &[("if-match", &tag)])
            .await
            .problem(StatusCode::PRECONDITION_FAILED);
        write(&app, method.clone(), &uri, &[])
            .await
            .problem(StatusCode::NOT_FOUND);
        // `If-None-Match: *` holds for a missing record: the method decides.
        write(&app, method, &uri, &[("if-none-match", "*")])
            .await
            .problem(StatusCode::NOT_FOUND);
    }
    let (existing, _) = civil(&app).await;
    let star = write(&app, Method::PATCH, &existing, &[("if-match", "*")]).await;
    assert_eq!(star.status, StatusCode::OK, "`*` holds for any version");
}

#[tokio::test]
async fn if_none_match_refuses_writes_to_an_existing_or_named_version() {
    let app = App::new();
    let (uri, tag) = civil(&app).await;
    let weak = format!("W/{tag}");
    for method in WRITES {
        for value in ["*", tag.as_str(), weak.as_str()] {
            write(&app, method.clone(), &uri, &[("if-none-match", value)])
                .await
                .problem(StatusCode::PRECONDITION_FAILED);
        }
    }
    assert_eq!(
        app.get(&uri).await.header("etag"),
        tag,
        "nothing was written"
    );
    let other = write(&app, Method::PATCH, &uri, &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "no tag of the current version"
    );
    // If-Match is evaluated first: a matching If-Match with a matching If-None-Match fails.
    let current = other.header("etag");
    let both = [("if-match", current.as_str()), ("if-none-match", "*")];
    write(&app, Method::DELETE, &uri, &both)
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn a_create_under_if_none_match_star_of_an_existing_record_is_412() {
    let app = App::new();
    let create = |roll: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            app.call_with(
                Method::POST,
                "/api/v1/students",
                Some(&Role::ADMIN),
                Some(student(roll, None)),
                headers,
            )
            .await
        }
    };
    const ABSENT: &[(&str, &str)] = &[("if-none-match", "*")];
    let absent = ABSENT;
    assert_eq!(create("R-1", absent).await.status, StatusCode::CREATED);
    create("R-1", absent)
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    create("R-1", &[])
        .await
        .field_problem(StatusCode::CONFLICT, "roll_number");
    // The collection has no entity tag: `If-Match: *` holds, tags fail, `If-None-Match`
    // tags hold.
    assert_eq!(
        create("R-2", &[("if-match", "*")]).await.status,
        StatusCode::CREATED
    );
    create("R-3", &[("if-match", "\"stale\"")])
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        create("R-3", &[("if-none-match", "\"stale\"")])
            .await
            .status,
        StatusCode::CREATED
    );
    create("R-4", &[("if-none-match", "stale")])
        .await
        .field_problem(StatusCode::BAD_REQUEST, "If-None-Match");
}

#[tokio::test]
async fn a_required_if_match_is_428_on_the_resources_that_require_it() {
    let config = HttpConfig {
        require_if_match: RequireIfMatch::parse("students").expect("segments"),
        ..HttpConfig::default()
    };
    let app = App::with_config(config);
    let created = app.post("/api/v1/students", student("R-1", None)).await;
    let uri = format!("/api/v1/students/{}", id_of(&created.json()));
    for method in [Method::PATCH, Method::DELETE] {
        let reply = app
            .call(
                method,
                &uri,
                Some(&Role::ADMIN),
                Some(json!({"semester": 2})),
            )
            .await;
        let problem = reply.field_problem(StatusCode::PRECONDITION_REQUIRED, "If-Match");
        assert_eq!(
            problem["type"],
            "urn:campushub:problem:precondition-required"
        );
    }
    let put = app
        .call(
            Method::PUT,
            &uri,
            Some(&Role::ADMIN),
            Some(student("R-1", None)),
        )
        .await;
    put.problem(StatusCode::PRECONDITION_REQUIRED);
    // A caller who may not write is told that, not which headers a write needs.
    let reader = app
        .call(
            Method::PATCH,
            &uri,
            Some(&Role::FACULTY),
            Some(json!({"semester": 2})),
        )
        .await;
    reader.problem(StatusCode::FORBIDDEN);
    let tag = created.header("etag");
    let patched = app
        .call_with(
            Method::PATCH,
            &uri,
            Some(&Role::ADMIN),
            Some(json!({"semester": 2})),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    // Creates need no If-Match; other resources are not concerned.
    let (other, _) = civil(&app).await;
    let unconditional = write(&app, Method::PATCH, &other, &[]).await;
    assert_eq!(unconditional.status, StatusCode::OK);
}

#[tokio::test]
async fn a_resource_decides_over_the_configuration() {
    let app = App::with_store(|store, services| {
        let units = EntityService::builder(Arc::new(store.repository::<Department>())).build();
        let routes = ResourceRoutes::new("units", units, Arc::new(HttpConfig::default()))
            .require_if_match(false);
        ApiState::new(services, Arc::new(credentials()))
            .config(HttpConfig {
                require_if_match: RequireIfMatch::All,
                ..HttpConfig::default()
            })
            .resource(routes)
    });
    let (uri, _) = civil(&app).await;
    write(&app, Method::DELETE, &uri, &[])
        .await
        .problem(StatusCode::PRECONDITION_REQUIRED);
    let unit = app.post("/api/v1/units", department("UNI")).await;
    let unit_uri = format!("/api/v1/units/{}", id_of(&unit.json()));
    let deleted = write(&app, Method::DELETE, &unit_uri, &[]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

/// A repository whose rival rewrites the record (one version up) just before each of the
/// service's updates and deletes, as a concurrent request would between the re-read and
/// the write.
struct Overtaken<R>(R);

#[async_trait]
impl<E: Entity, R: Repository<E>> Repository<E> for Overtaken<R> {
    async fn get(&self, id: Uuid, read: &ReadOptions) -> Result<Option<E>> {
        self.0.get(id, read).await
    }
    async fn get_many(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        self.0.get_many(ids, read).await
    }
    async fn find_by_natural_keys(&self, keys: &[String], read: &ReadOptions) -> Result<Vec<E>> {
        self.0.find_by_natural_keys(keys, read).await
    }
    async fn list(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        self.0.list(query, read).await
    }
    async fn count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        self.0.count(query, read).await
    }
    async fn group_counts(
        &self,
        query: &ListQuery,
        fields: &[&'static str],
        read: &ReadOptions,
    ) -> Result<GroupCounts> {
        self.0.group_counts(query, fields, read).await
    }
    async fn insert(&self, entity: &E) -> Result<Written> {
        self.0.insert(entity).await
    }
    async fn update(&self, entity: &E, expected_version: i64) -> Result<Written> {
        self.rival(entity.meta().id).await?;
        self.0.update(entity, expected_version).await
    }
    async fn delete(&self, id: Uuid, expected_version: i64) -> Result<Written> {
        self.rival(id).await?;
        self.0.delete(id, expected_version).await
    }
}

impl<R> Overtaken<R> {
    async fn rival<E: Entity>(&self, id: Uuid) -> Result<()>
    where
        R: Repository<E>,
    {
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        if let Some(mut rival) = self.0.get(id, &primary).await? {
            let version = rival.meta().version;
            *rival.meta_mut() = rival.meta().next();
            self.0.update(&rival, version).await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_write_without_if_match_overtaken_on_every_attempt_is_409_never_412() {
    let app = App::with_store(|store, mut services| {
        let overtaken = Overtaken(store.repository::<Department>());
        services.departments = EntityService::builder(Arc::new(overtaken))
            .write_attempts(3)
            // The rival wraps the plain writes.
            .without_audit()
            .build();
        ApiState::new(services, Arc::new(credentials()))
    });
    let (uri, _) = civil(&app).await;
    for method in WRITES {
        let reply = write(&app, method.clone(), &uri, &[]).await;
        let problem = reply.problem(StatusCode::CONFLICT);
        assert_eq!(
            problem["type"], "urn:campushub:problem:concurrent-writes",
            "{method}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("3 attempts"), "{detail}");
        assert!(
            detail.contains(&uri[uri.len() - 36..]),
            "names the record: {detail}"
        );
    }
    // With a condition the overtaken write fails it: 412, never 409.
    let tag = app.get(&uri).await.header("etag");
    write(&app, Method::PATCH, &uri, &[("if-match", &tag)])
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    let body: Value = app.get(&uri).await.json();
    assert_eq!(
        body["name"], "Department CIV",
        "no attempt of ours committed"
    );
}

#[tokio::test]
async fn the_document_lists_the_conditional_statuses_with_the_problem_schema() {
    let required = App::with_config(HttpConfig {
        require_if_match: RequireIfMatch::parse("students").expect("segments"),
        ..HttpConfig::default()
    });
    let document = required.get("/api/v1/openapi.json").await.json();
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    let status = |path: &str, method: &str, code: &str| {
        document["paths"][path][method]["responses"][code]["content"]["application/problem+json"]
            ["schema"]
            .clone()
    };
    for (path, method) in [
        ("/api/v1/students/{id}", "put"),
        ("/api/v1/students/{id}", "patch"),
        ("/api/v1/students/{id}", "delete"),
        ("/api/v1/departments/{id}", "patch"),
        ("/api/v1/departments/{id}", "delete"),
    ] {
        for code in ["409", "412"] {
            assert_eq!(
                status(path, method, code),
                problem,
                "{method} {path} {code}"
            );
        }
        let if_match = document["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|list| list.iter().find(|p| p["name"] == "If-Match"))
            .cloned()
            .unwrap_or_default();
        let students = path.contains("students");
        assert_eq!(if_match["required"], json!(students), "{method} {path}");
        let listed = !status(path, method, "428").is_null();
        assert_eq!(
            listed, students,
            "428 only where If-Match is required: {method} {path}"
        );
    }
    assert_eq!(status("/api/v1/students", "post", "412"), problem);
    assert_eq!(status("/api/v1/students", "post", "409"), problem);
}
