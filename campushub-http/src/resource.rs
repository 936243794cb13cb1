//! One generic REST resource over any [`Entity`]: list, create, retrieve, update, patch and
//! delete, plus (when asked) statistics and bulk routes. The four built-in resources are this
//! one implementation; an application mounts its own kinds with it too.

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use campushub_core::service::WrittenRecord;
use campushub_core::{Action, Entity, EntityService, Precondition, Principal};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Caller;
use crate::bulk::{self, BulkKeys};
use crate::conditional::{not_modified, write_precondition, CreateCondition};
use crate::config::HttpConfig;
use crate::consistency::{set_token, ReadConsistency};
use crate::etag::etag;
use crate::extract::{EntityId, JsonBody, QueryParams};
use crate::list::{json_ok, json_response, list_response};
use crate::nested::Nested;
use crate::problem::{ApiResult, Problem};
pub use crate::routing::API_PREFIX;
use crate::routing::{method_not_allowed, route_with_trailing_slash};

/// Builds the routes of one resource at `/api/v1/<segment>`.
pub struct ResourceRoutes<E: Entity> {
    segment: &'static str,
    state: ResourceState<E>,
    stats: bool,
    bulk: Option<BulkKeys>,
    /// `<segment>/export` and `<segment>/import`, resolving references with these.
    #[cfg(feature = "exchange")]
    exchange: Option<campushub_core::exchange::References>,
    /// Where its imports sent as jobs go (the router's, see [`crate::ApiState::import_jobs`]).
    #[cfg(feature = "exchange")]
    import_jobs: Option<crate::exchange::ImportJobs>,
    /// Whether updates and deletes need `If-Match`, when set for this resource; else the
    /// configuration's [`HttpConfig::require_if_match`] says.
    require_if_match: Option<bool>,
    /// The parents the list is also served under.
    nested: &'static [Nested],
}

/// What every handler of a resource shares (the bulk handlers have their own, in `bulk.rs`).
struct ResourceState<E: Entity> {
    service: EntityService<E>,
    config: Arc<HttpConfig>,
    /// Updates and deletes without `If-Match` are answered `428`.
    require_if_match: bool,
    /// The segment (`students`), which names exported files.
    segment: &'static str,
    /// Whether the list route answers `Accept: text/csv` with a CSV export.
    csv: bool,
}

impl<E: Entity> Clone for ResourceState<E> {
    fn clone(&self) -> Self {
        ResourceState {
            service: self.service.clone(),
            config: Arc::clone(&self.config),
            require_if_match: self.require_if_match,
            segment: self.segment,
            csv: self.csv,
        }
    }
}

impl<E: Entity> std::fmt::Debug for ResourceRoutes<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceRoutes")
            .field("segment", &self.segment)
            .field("service", &self.state.service)
            .field("bulk", &self.bulk)
            .field("stats", &self.stats)
            .field("require_if_match", &self.requires_if_match())
            .finish_non_exhaustive()
    }
}

impl<E: Entity> ResourceRoutes<E> {
    /// The CRUD routes of `service` at `/api/v1/<segment>` and `/api/v1/<segment>/{id}`.
    pub fn new(segment: &'static str, service: EntityService<E>, config: Arc<HttpConfig>) -> Self {
        ResourceRoutes {
            segment,
            state: ResourceState {
                service,
                config,
                require_if_match: false,
                segment,
                csv: false,
            },
            stats: false,
            bulk: None,
            #[cfg(feature = "exchange")]
            exchange: None,
            #[cfg(feature = "exchange")]
            import_jobs: None,
            require_if_match: None,
            nested: &[],
        }
    }

    /// Adds `GET /api/v1/<segment>/stats`.
    pub fn with_stats(mut self) -> Self {
        self.stats = true;
        self
    }

    /// Adds `POST /api/v1/<segment>/bulk-{create,update,delete}` with the body keys `keys`.
    pub fn with_bulk(mut self, keys: BulkKeys) -> Self {
        self.bulk = Some(keys);
        self
    }

    /// Adds `GET /api/v1/<segment>/export` (CSV, XLSX) and `POST /api/v1/<segment>/import`
    /// for a kind with a natural key, and CSV on the list route for `Accept: text/csv`;
    /// `references` resolves the natural keys of the kinds its columns reference
    /// (`department` codes).
    #[cfg(feature = "exchange")]
    #[cfg_attr(docsrs, doc(cfg(feature = "exchange")))]
    pub fn with_exchange(mut self, references: campushub_core::exchange::References) -> Self {
        self.exchange = Some(references);
        self
    }

    /// Also serves the list at `/api/v1/<parent>/{id}/<segment>` for each of `nested`: the
    /// records whose `field` is that id, with every other list parameter as on the list
    /// route (a parent without such records, or without a record, lists none).
    pub fn nested_under(mut self, nested: &'static [Nested]) -> Self {
        self.nested = nested;
        self
    }

    /// Whether `PUT`, `PATCH` and `DELETE` need `If-Match` (`428 Precondition Required`
    /// without it), whatever [`HttpConfig::require_if_match`] says for this resource.
    pub fn require_if_match(mut self, required: bool) -> Self {
        self.require_if_match = Some(required);
        self
    }

    /// Whether updates and deletes need `If-Match`: this resource's choice, else the
    /// configuration's.
    fn requires_if_match(&self) -> bool {
        self.require_if_match
            .unwrap_or_else(|| self.state.config.require_if_match.applies_to(self.segment))
    }

    /// The same routes under `config`.
    pub(crate) fn configured(mut self, mounting: &Mounting) -> Self {
        self.state.config = Arc::clone(&mounting.config);
        #[cfg(feature = "exchange")]
        {
            self.import_jobs = mounting.import_jobs.clone();
        }
        self
    }

    /// The path of the collection (`/api/v1/students`).
    pub fn collection_path(&self) -> String {
        format!("{API_PREFIX}/{}", self.segment)
    }

    /// What the OpenAPI document says about these routes.
    pub fn doc(&self) -> crate::openapi::ResourceDoc {
        crate::openapi::ResourceDoc {
            segment: self.segment,
            schema: E::schema(),
            stats: self.stats,
            bulk: self.bulk,
            require_if_match: self.requires_if_match(),
            exchange: self.has_exchange(),
            nested: self.nested,
        }
    }

    /// Whether the export and import routes are served.
    fn has_exchange(&self) -> bool {
        #[cfg(feature = "exchange")]
        {
            self.exchange.is_some()
        }
        #[cfg(not(feature = "exchange"))]
        {
            false
        }
    }

    /// The router (needs an [`crate::AuthLayer`] in front of it to authenticate).
    pub fn build(mut self) -> Router {
        self.state.require_if_match = self.requires_if_match();
        self.state.csv = self.has_exchange();
        let base = self.collection_path();
        let mut router: Router<ResourceState<E>> = Router::new();
        router = route_with_trailing_slash(router, &base, get(list::<E>).post(create::<E>));
        router = route_with_trailing_slash(
            router,
            &format!("{base}/{{id}}"),
            get(retrieve::<E>)
                .put(write::<E>)
                .patch(write::<E>)
                .delete(destroy::<E>),
        );
        if self.stats {
            router = route_with_trailing_slash(router, &format!("{base}/stats"), get(stats::<E>));
        }
        for &nested in self.nested {
            let handler =
                move |state, caller, read, uri, EntityId(id), QueryParams(params), headers| {
                    let params = nested.params(id, &params);
                    list::<E>(state, caller, read, uri, QueryParams(params), headers)
                };
            router = route_with_trailing_slash(router, &nested.path(self.segment), get(handler));
        }
        let bulk = self.bulk.map(|keys| {
            let max_rows = self.state.config.max_bulk_rows;
            bulk::routes(&base, self.state.service.clone(), keys, max_rows)
        });
        #[cfg(feature = "exchange")]
        let exchange = self.exchange.take().map(|references| {
            crate::exchange::routes(
                &base,
                self.segment,
                self.state.service.clone(),
                references,
                &self.state.config,
                self.import_jobs.take(),
            )
        });
        #[cfg(not(feature = "exchange"))]
        let exchange: Option<Router> = None;
        let mut router = router
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(self.state);
        for extra in [bulk, exchange].into_iter().flatten() {
            router = router.merge(extra);
        }
        router
    }
}

/// What the router gives every resource it builds: its configuration, and with feature
/// `exchange` its import jobs.
#[derive(Debug, Clone)]
pub(crate) struct Mounting {
    pub(crate) config: Arc<HttpConfig>,
    #[cfg(feature = "exchange")]
    pub(crate) import_jobs: Option<crate::exchange::ImportJobs>,
}

/// Rejects a `page_size` over the configured cap before the service sees it.
fn check_page_size(params: &[(String, String)], config: &HttpConfig) -> ApiResult<()> {
    for (key, value) in params {
        if key == "page_size" {
            if let Ok(size) = value.parse::<u64>() {
                if size > u64::from(config.max_page_size) {
                    return Err(Problem::invalid(
                        "page_size",
                        format!("must be at most {}", config.max_page_size),
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn list<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    OriginalUri(uri): OriginalUri,
    QueryParams(params): QueryParams,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_page_size(&params, &state.config)?;
    #[cfg(feature = "exchange")]
    if state.csv && wants_csv(&headers) {
        let service = state.service.clone();
        return crate::exchange::csv_list(service, principal, params, read, state.segment).await;
    }
    #[cfg(not(feature = "exchange"))]
    let _ = headers;
    let listed = state.service.list(&principal, &params, &read).await?;
    Ok(list_response(&listed, uri.path(), &params))
}

/// Whether `Accept` prefers CSV: names `text/csv` and not JSON before it.
#[cfg(feature = "exchange")]
fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .and_then(|accept| {
            accept
                .split(',')
                .map(|part| part.split(';').next().unwrap_or_default().trim())
                .find(|media| *media == crate::exchange::TEXT_CSV || media.ends_with("json"))
        })
        .is_some_and(|media| media == crate::exchange::TEXT_CSV)
}

async fn stats<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    QueryParams(params): QueryParams,
) -> ApiResult<Response> {
    let statistics = state.service.statistics(&principal, &params, &read).await?;
    json_ok(&statistics)
}

async fn create<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let condition = CreateCondition::of(&headers)?;
    let written = state
        .service
        .create_json(&principal, body)
        .await
        .map_err(|error| condition.answer(E::schema(), error))?;
    let mut response =
        written_response(&state.service, &principal, StatusCode::CREATED, &written).await?;
    let location = format!(
        "{}/{}",
        uri.path().trim_end_matches('/'),
        written.record.meta().id
    );
    if let Ok(location) = HeaderValue::try_from(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn retrieve<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    ReadConsistency(read): ReadConsistency,
    EntityId(id): EntityId,
    // The request itself, not a `HeaderMap` (which axum extracts as a copy): a GET has no
    // body, and only `If-None-Match` is read.
    request: Request,
) -> ApiResult<Response> {
    let fetched = state.service.retrieve(&principal, id, &read).await?;
    let tag = etag(id, fetched.version());
    let mut response = if not_modified(request.headers(), id, fetched.version()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_response(StatusCode::OK, fetched.json().clone())
    };
    response.headers_mut().insert(header::ETAG, tag);
    Ok(response)
}

/// PUT (replace the writable fields) and PATCH (JSON merge patch, an object), under the
/// request's `If-Match` / `If-None-Match`.
async fn write<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    EntityId(id): EntityId,
    method: Method,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let precondition = precondition(&state, &principal, Action::Update, &headers, id)?;
    let service = &state.service;
    let written = match (method, body) {
        (Method::PATCH, Value::Object(patch)) => {
            service
                .partial_update(&principal, id, patch, precondition)
                .await?
        }
        (Method::PATCH, _) => return Err(Problem::invalid("body", "expected a JSON object")),
        (_, body) => {
            service
                .update_json(&principal, id, body, precondition)
                .await?
        }
    };
    written_response(service, &principal, StatusCode::OK, &written).await
}

async fn destroy<E: Entity>(
    State(state): State<ResourceState<E>>,
    Caller(principal): Caller,
    EntityId(id): EntityId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let precondition = precondition(&state, &principal, Action::Delete, &headers, id)?;
    let written = state.service.destroy(&principal, id, precondition).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_token(response.headers_mut(), written.token);
    Ok(response)
}

/// The precondition the request's headers put on a write of record `id`, once the caller is
/// known to be allowed `action`: a caller who may not write is told that (403), not which
/// headers a write needs (428).
fn precondition<E: Entity>(
    state: &ResourceState<E>,
    principal: &Principal,
    action: Action,
    headers: &HeaderMap,
    id: Uuid,
) -> ApiResult<Precondition> {
    state
        .service
        .policy()
        .authorize(principal, E::KIND, action)?;
    write_precondition(headers, id, state.require_if_match)
}

/// The record of a committed write as `principal` may see it (no personal fields for a
/// caller not granted them), with its ETag and consistency token.
async fn written_response<E: Entity>(
    service: &EntityService<E>,
    principal: &Principal,
    status: StatusCode,
    written: &WrittenRecord<E>,
) -> ApiResult<Response> {
    let body = service.present(principal, &written.record).await?;
    let mut response = json_response(status, body);
    let meta = written.record.meta();
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag(meta.id, meta.version));
    set_token(headers, written.token);
    Ok(response)
}
