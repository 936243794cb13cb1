//! Contacts (feature `records`): the guardians, emergency contacts and references of students
//! and faculty members, served at `/api/v1/contacts` by the ready-made server.
//!
//! The kind is built only with what any application has: `#[derive(Entity, SqlEntity)]`
//! describes it ([`Contact`]), [`Server::migrate_kind`] creates its table, and a
//! [`Server::extend`] hook builds its service with the server's cache, audit and outbox
//! ([`Core::service`](crate::server::Core::service)) and serves it with
//! [`ApiState::resource`](crate::http::ApiState::resource): list, create, retrieve, update,
//! delete, `/stats`, bulk writes by `reference`, and CSV/XLSX export and import.
//!
//! A contact's owner is a student or a faculty member (`owner_kind`, `owner_id`), checked on
//! every write of the contact (not on the owner's delete: the built-in services are the
//! server's, so a deleted owner's contacts stay until deleted).
//! `GET /api/v1/students/{id}/contacts` (and `/api/v1/faculty/{id}/contacts`) lists one
//! owner's contacts, as `GET /api/v1/contacts?owner_id={id}` does, with the same filters,
//! ordering and pages ([`ResourceRoutes::nested_under`]).
//!
//! ```no_run
//! use campushub::server::Server;
//!
//! fn main() -> std::process::ExitCode {
//!     campushub::contacts::serve(Server::new()).main()
//! }
//! ```

mod contact;
mod owner;
mod policy;

use std::sync::Arc;

use crate::core::exchange::References;
use crate::http::{BulkKeys, HttpConfig, Nested, ResourceRoutes};
use crate::server::Server;
use crate::sqlx::kinds::KindSchema;

pub use contact::{Contact, ContactInput, OwnerKind, Relation};
pub use owner::{KnownOwner, Owned};
pub use policy::{owned_by_people, policy};

/// The resource's path segment: `/api/v1/contacts`.
pub const SEGMENT: &str = "contacts";

/// The owners' lists: `/api/v1/students/{id}/contacts` and `/api/v1/faculty/{id}/contacts`
/// (ids are UUIDs, so one names one owner whatever its kind).
pub const NESTED: &[Nested] = &[
    Nested {
        parent: "students",
        field: "owner_id",
    },
    Nested {
        parent: "faculty",
        field: "owner_id",
    },
];

/// `server` serving contacts too: their table created (or checked) after CampusHub's
/// migrations, their routes beside the built-in kinds under the same authentication, with
/// the policy of [`policy`].
pub fn serve(server: Server) -> Server {
    server
        .migrate_kind(KindSchema::of::<Contact>())
        .extend(|core, state| {
            let owners = KnownOwner::of(core);
            let contacts = core
                .service(core.storage.repository::<Contact>())
                .policy(Arc::new(policy()))
                .rules(Arc::new(owners))
                .build();
            let keys = BulkKeys {
                rows: "contacts",
                keys: "references",
            };
            // The router's configuration replaces this one when it is built.
            let routes = ResourceRoutes::new(SEGMENT, contacts, Arc::new(HttpConfig::default()))
                .with_stats()
                .with_bulk(keys)
                .with_exchange(References::new())
                .nested_under(NESTED);
            state.resource(routes)
        })
}
