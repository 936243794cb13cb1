//! The document as served at `/api/v1/openapi.json`: the part fixed when the router is built,
//! plus the `cf.` filters of the custom-field definitions in force, so that a definition
//! created after start-up is in the next document served.
//!
//! Each request reads the definitions (one statement, routed like any read: with the
//! request's `Consistency-Token`, a definition just written is seen) and serves the document
//! rendered for them, rendering it again only when a definition was added, changed or removed
//! since the last one.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use campushub_core::schema::Schema;
use campushub_core::{CustomFieldDef, EntityService, Error, ReadOptions};
use utoipa::openapi::path::Operation;
use utoipa::openapi::OpenApi;
use uuid::Uuid;

use super::custom::{custom_choices, custom_parameters};
use super::ResourceDoc;
use crate::consistency::ReadConsistency;
use crate::list::json_response;
use crate::problem::ApiResult;
use crate::routing::API_PREFIX;

/// The served document and what it is rebuilt from.
pub(crate) struct ServedDocument {
    /// The document without `cf.` filters.
    base: OpenApi,
    /// The kinds whose records carry custom fields, with their filterable operations.
    kinds: Vec<KindPaths>,
    /// Where the definitions are read.
    definitions: EntityService<CustomFieldDef>,
    /// The last document rendered, with the definitions it was rendered for.
    rendered: Mutex<Option<Rendered>>,
}

/// The list and statistics paths of a kind whose records carry custom fields.
struct KindPaths {
    schema: &'static Schema,
    list: String,
    stats: Option<String>,
}

/// A rendered document and the definitions (id and version, in id order) it lists.
struct Rendered {
    definitions: Vec<(Uuid, i64)>,
    json: Bytes,
}

impl ServedDocument {
    /// Serves `base` for `resources`, with the filters of the definitions `definitions` reads.
    pub(crate) fn new(
        base: OpenApi,
        resources: &[ResourceDoc],
        definitions: EntityService<CustomFieldDef>,
    ) -> Self {
        let kinds = resources
            .iter()
            .filter(|resource| resource.schema.has_custom_fields())
            .map(|resource| {
                let list = format!("{API_PREFIX}/{}", resource.segment);
                KindPaths {
                    schema: resource.schema,
                    stats: resource.stats.then(|| format!("{list}/stats")),
                    list,
                }
            })
            .collect();
        ServedDocument {
            base,
            kinds,
            definitions,
            rendered: Mutex::new(None),
        }
    }

    /// The document with the filters of the definitions `read` finds.
    pub(crate) async fn current(&self, read: &ReadOptions) -> Result<Bytes, Error> {
        let mut definitions = self.definitions.all_definitions(read).await?;
        definitions.sort_by(|a, b| (&a.entity, &a.name).cmp(&(&b.entity, &b.name)));
        let mut seen: Vec<(Uuid, i64)> = definitions
            .iter()
            .map(|definition| (definition.meta.id, definition.meta.version))
            .collect();
        seen.sort_unstable();
        if let Some(json) = self.cached(&seen) {
            return Ok(json);
        }
        let json = self.render(&definitions)?;
        if let Ok(mut rendered) = self.rendered.lock() {
            *rendered = Some(Rendered {
                definitions: seen,
                json: json.clone(),
            });
        }
        Ok(json)
    }

    /// The last rendered document if it was rendered for exactly `definitions`.
    fn cached(&self, definitions: &[(Uuid, i64)]) -> Option<Bytes> {
        let rendered = self.rendered.lock().ok()?;
        rendered
            .as_ref()
            .filter(|rendered| rendered.definitions == definitions)
            .map(|rendered| rendered.json.clone())
    }

    /// The base document with each kind's list and statistics taking its definitions'
    /// filters, and the definitions' choices among the named schemas.
    fn render(&self, definitions: &[CustomFieldDef]) -> Result<Bytes, Error> {
        let mut document = self.base.clone();
        for kind in &self.kinds {
            let own = || {
                definitions
                    .iter()
                    .filter(|definition| definition.entity == kind.schema.kind.as_str())
            };
            let parameters: Vec<_> = own().flat_map(custom_parameters).collect();
            if parameters.is_empty() {
                continue;
            }
            let schemas = &mut document
                .components
                .get_or_insert_with(Default::default)
                .schemas;
            schemas.extend(own().filter_map(custom_choices));
            for path in std::iter::once(&kind.list).chain(&kind.stats) {
                if let Some(operation) = document
                    .paths
                    .paths
                    .get_mut(path)
                    .and_then(|item| item.get.as_mut())
                {
                    add_parameters(operation, &parameters);
                }
            }
        }
        document
            .to_json()
            .map(Bytes::from)
            .map_err(|error| Error::internal("the OpenAPI document does not serialize", error))
    }
}

fn add_parameters(operation: &mut Operation, parameters: &[utoipa::openapi::path::Parameter]) {
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .extend(parameters.iter().cloned());
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn serve(
    document: Arc<ServedDocument>,
    ReadConsistency(read): ReadConsistency,
) -> ApiResult<Response> {
    let json = document.current(&read).await?;
    Ok(json_response(StatusCode::OK, json))
}
