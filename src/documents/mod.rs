//! Documents (feature `documents`): files attached to students and faculty members
//! (transcripts, ID proofs, offer letters), their metadata a kind served at
//! `/api/v1/documents` and their bytes in object storage: a folder of the local filesystem
//! by default, or an S3-compatible store ([`DocumentSettings`]).
//!
//! Built, as contacts are, only with what any application has: `#[derive(Entity, SqlEntity)]`
//! describes the metadata ([`Document`]; the fields that describe the stored bytes are
//! `#[field(read_only)]`, written by the server), [`Server::migrate_kind`] creates its table,
//! [`ApiState::resource`](crate::http::ApiState::resource) serves its CRUD, `/stats` and the
//! owners' lists, and [`ApiState::routes`](crate::http::ApiState::routes) adds the content
//! routes beside it, behind the same authentication, policy, audit, cache and events:
//!
//! - `PUT /api/v1/documents/{id}/content` streams the body into a fresh object with a
//!   running SHA-256 (once `If-Match`, if sent, names the current version: `412` before a
//!   byte is stored otherwise), refusing a body over [`DocumentSettings::max_bytes`] (`413`) or a
//!   `Content-Type` outside [`DocumentSettings::content_types`] (`415`), and storing nothing
//!   then; it points the metadata at the new object
//!   ([`EntityService::update_with`](crate::core::EntityService::update_with): a new version)
//!   and deletes the previous one;
//! - `GET /api/v1/documents/{id}/content` streams them back with `ETag` (their SHA-256),
//!   `If-None-Match` (`304`), one `Range` (`206`, `416`) and `Content-Disposition`.
//!
//! Deleting a document deletes its bytes once the deletion commits; what a failure leaves
//! behind, [`sweep`] deletes.
//!
//! ```no_run
//! use campushub::documents::{self, DocumentSettings};
//! use campushub::server::Server;
//!
//! fn main() -> std::process::ExitCode {
//!     let settings = DocumentSettings::from_vars(|name| std::env::var(name).ok())
//!         .expect("valid CAMPUSHUB_DOCUMENTS_* variables");
//!     let store = settings.open_store().expect("an open store");
//!     documents::serve(Server::new(), settings, store).main()
//! }
//! ```

mod cleanup;
mod content;
mod document;
mod download;
mod paths;
mod policy;
mod settings;
mod store;
mod upload;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use futures::FutureExt;

use crate::contacts::KnownOwner;
use crate::http::{HttpConfig, Nested, ResourceRoutes};
use crate::server::Server;
use crate::sqlx::kinds::KindSchema;

pub use cleanup::{sweep, Swept};
pub use document::{DocType, Document, DocumentInput};
pub use policy::policy;
pub use settings::{
    DocumentSettings, S3Options, SettingsError, StoreLocation, DEFAULT_CONTENT_TYPES,
    DEFAULT_MAX_BYTES, DEFAULT_STORE, DEFAULT_SWEEP_EVERY, DEFAULT_SWEEP_GRACE,
};
pub use store::{DocumentStore, Stored, StoredObject, UploadError};

/// The resource's path segment: `/api/v1/documents`.
pub const SEGMENT: &str = "documents";

/// The owners' lists: `/api/v1/students/{id}/documents` and `/api/v1/faculty/{id}/documents`
/// (the same parents and field as contacts').
pub const NESTED: &[Nested] = crate::contacts::NESTED;

/// `server` serving documents too, configured by `settings`, their bytes in `store`: the
/// table created (or checked) after CampusHub's migrations, the metadata and content routes
/// beside the built-in kinds, with the policy of [`policy`], and (unless
/// [`DocumentSettings::sweep_every`] is `None`) a sweep of orphaned bytes on each instance
/// while it serves.
pub fn serve(server: Server, settings: DocumentSettings, store: DocumentStore) -> Server {
    let settings = Arc::new(settings);
    let server = match settings.sweep_every {
        Some(every) => {
            let (store, grace) = (store.clone(), settings.sweep_grace);
            server.background(move |core| {
                let documents = core.storage.repository::<Document>();
                cleanup::sweep_every(store.clone(), documents, every, grace).boxed()
            })
        }
        None => server,
    };
    server
        .migrate_kind(KindSchema::of::<Document>())
        .extend(move |core, mut state| {
            let documents = core
                .service(core.storage.repository::<Document>())
                .policy(Arc::new(policy()))
                .rules(Arc::new(KnownOwner::of(core)))
                .hook(Arc::new(cleanup::DeleteBytes {
                    store: store.clone(),
                }))
                .build();
            let streamed = usize::try_from(content::stream_limit(&settings)).unwrap_or(usize::MAX);
            state.config.stream_body_limit = state.config.stream_body_limit.max(streamed);
            let require_if_match = state.config.require_if_match.applies_to(SEGMENT);
            let content = content::Content {
                service: documents.clone(),
                store: store.clone(),
                settings: Arc::clone(&settings),
                require_if_match,
            };
            let paths = paths::paths(&settings, require_if_match);
            // The router's configuration replaces this one when it is built.
            let routes = ResourceRoutes::new(SEGMENT, documents, Arc::new(HttpConfig::default()))
                .with_stats()
                .nested_under(NESTED);
            state
                .resource(routes)
                .routes(content_routes(content), paths)
        })
}

/// The content routes: `PUT` and `GET` [`content::PATH`].
fn content_routes(content: content::Content) -> Router {
    // A form upload is read through axum's `Multipart`, which the router holds to the
    // buffered-body limit: the content route's own is the streamed one (the upload checks the
    // file's length itself as it reads).
    let limit = usize::try_from(content::stream_limit(&content.settings)).unwrap_or(usize::MAX);
    Router::new()
        .route(content::PATH, get(download::download).put(upload::upload))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(content)
}
