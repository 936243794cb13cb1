//! Shared fixtures: a router over in-memory services, tokens per role, request helpers and
//! valid bodies for each kind.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use campushub_core::memory::MemoryStore;
use campushub_core::{
    AuditService, CustomFieldDef, Department, EntityService, Faculty, Principal, Repository, Role,
    RolePolicy, Student, User,
};
use campushub_http::{
    router, ApiKeys, ApiState, AppServices, Credentials, HttpConfig, Identity, JwtVerifier,
    TokenMinter,
};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The HS256 secret of the test router.
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
/// An API key that authenticates as an admin.
pub const ADMIN_KEY: &str = "admin-api-key";

/// A router over fresh in-memory services.
pub struct App {
    pub router: Router,
    pub minter: TokenMinter,
}

/// A response, body collected.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    /// Asserts a problem+json response with `status`; returns its body.
    pub fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), "application/problem+json");
        let body = self.json();
        assert_eq!(body["status"], json!(status.as_u16()));
        assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(body["title"].is_string());
        assert!(body["detail"].is_string());
        assert!(body["errors"].is_object());
        body
    }

    /// Asserts a problem with `status` whose errors name `field`; returns its body.
    pub fn field_problem(&self, status: StatusCode, field: &str) -> Value {
        let body = self.problem(status);
        assert!(
            body["errors"][field].is_array(),
            "no error on `{field}`: {body}"
        );
        body
    }
}

/// The services over `store`.
pub fn services(store: &MemoryStore) -> AppServices {
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(store.repository::<CustomFieldDef>());
    AppServices {
        departments: EntityService::builder(Arc::new(store.repository::<Department>()))
            .custom_fields(Arc::clone(&definitions))
            .build(),
        students: EntityService::builder(Arc::new(store.repository::<Student>()))
            .custom_fields(Arc::clone(&definitions))
            .build(),
        faculty: EntityService::builder(Arc::new(store.repository::<Faculty>()))
            .custom_fields(Arc::clone(&definitions))
            .build(),
        custom_fields: EntityService::builder(definitions).build(),
    }
}

/// Sign-in over `store`'s users, with cheap password hashing, minting with the test
/// secret and revoking into `revoked` (which the router's credentials must ask).
pub fn identity(store: &MemoryStore, revoked: Arc<campushub_core::accounts::DenyList>) -> Identity {
    use campushub_core::accounts::{SignIn, SignInConfig};
    use campushub_core::memory::MemoryAccounts;
    use campushub_core::password::{HashParams, PasswordHasher};
    let users: Arc<dyn Repository<User>> = Arc::new(store.repository::<User>());
    let params = HashParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
    let hasher = Arc::new(PasswordHasher::new(params).expect("parameters"));
    let sign_in = SignIn::new(
        Arc::clone(&users),
        Arc::new(MemoryAccounts::beside(store)),
        hasher,
        SignInConfig::default(),
    );
    let on_change = campushub_core::accounts::RevokeOnAccountChange::new(
        revoked.clone(),
        Identity::DEFAULT_ACCESS_TTL,
    );
    Identity::new(
        EntityService::builder(users)
            .hook(Arc::new(on_change))
            .build(),
        sign_in,
        TokenMinter::hs256(SECRET).expect("secret"),
        JwtVerifier::hs256(SECRET).expect("secret"),
        revoked,
    )
}

/// The authenticator of the test router.
pub fn credentials() -> Credentials {
    Credentials::new()
        .jwt(JwtVerifier::hs256(SECRET).expect("secret"))
        .api_keys(ApiKeys::new().insert(ADMIN_KEY, Principal::new("ops", [Role::ADMIN])))
}

impl App {
    /// Default configuration.
    pub fn new() -> Self {
        Self::with_config(HttpConfig::default())
    }

    /// With `config`.
    pub fn with_config(config: HttpConfig) -> Self {
        Self::with_state(|services| ApiState::new(services, Arc::new(credentials())).config(config))
    }

    /// With accounts and sign-in (`/users`, `/auth/...`), access tokens revoked into a deny
    /// list the credentials ask.
    pub fn with_identity() -> Self {
        Self::with_store(|store, services| {
            let revoked = Arc::new(campushub_core::accounts::DenyList::new());
            let credentials = credentials().revocations(revoked.clone());
            let log = AuditService::new(Arc::new(store.clone()), Arc::new(RolePolicy::defaults()));
            ApiState::new(services, Arc::new(credentials))
                .identity(identity(store, revoked))
                .audit(log)
        })
    }

    /// With a state built by `build` from fresh services.
    pub fn with_state(build: impl FnOnce(AppServices) -> ApiState) -> Self {
        Self::with_store(|_, services| build(services))
    }

    /// With a state built by `build` from fresh services and their store (where an added
    /// kind that references the built-in ones keeps its records).
    pub fn with_store(build: impl FnOnce(&MemoryStore, AppServices) -> ApiState) -> Self {
        let store = MemoryStore::new();
        let services = services(&store);
        App {
            router: router(build(&store, services)),
            minter: TokenMinter::hs256(SECRET).expect("secret"),
        }
    }

    /// A token for one role.
    pub fn token(&self, role: &Role) -> String {
        self.minter
            .mint(
                &format!("{role}-user"),
                std::slice::from_ref(role),
                Duration::from_secs(600),
            )
            .expect("mint")
    }

    /// Sends `request` as is.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `method uri` as `role` (none: anonymous), with a JSON body if any.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        role: Option<&Role>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, uri, role, body, &[]).await
    }

    /// As [`App::call`], with extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        role: Option<&Role>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(role) = role {
            request = request.header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(role)),
            );
        }
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).expect("header"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// GET as admin.
    pub async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri, Some(&Role::ADMIN), None).await
    }

    /// GET as admin with extra headers.
    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        self.call_with(Method::GET, uri, Some(&Role::ADMIN), None, headers)
            .await
    }

    /// POST `body` as admin.
    pub async fn post(&self, uri: &str, body: Value) -> Reply {
        self.call(Method::POST, uri, Some(&Role::ADMIN), Some(body))
            .await
    }

    /// Creates a record as admin and returns its JSON.
    pub async fn create(&self, segment: &str, body: Value) -> Value {
        let reply = self.post(&format!("/api/v1/{segment}"), body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }
}

/// A valid department body.
pub fn department(code: &str) -> Value {
    json!({"code": code, "name": format!("Department {code}")})
}

/// A valid student body.
pub fn student(roll: &str, department_id: Option<&str>) -> Value {
    json!({
        "first_name": "Asha", "last_name": "Rao", "date_of_birth": "2004-05-06", "gender": "F",
        "roll_number": roll, "department_id": department_id, "program": "B.Tech",
        "admission_date": "2022-08-01",
    })
}

/// A valid faculty body.
pub fn faculty(employee_id: &str, department_id: Option<&str>) -> Value {
    json!({
        "first_name": "Ravi", "last_name": "Iyer", "date_of_birth": "1980-01-02", "gender": "M",
        "employee_id": employee_id, "department_id": department_id, "designation": "PROFESSOR",
        "qualification": "PhD", "date_of_joining": "2010-07-01",
    })
}

/// A valid custom-field definition body.
pub fn custom_field(name: &str) -> Value {
    json!({"entity": "student", "name": name, "label": "Blood group", "field_type": "text"})
}

/// The id of a record's JSON.
pub fn id_of(record: &Value) -> String {
    record["id"].as_str().expect("id").to_owned()
}
