//! `#[derive(Entity)]` and `#[derive(SqlEntity)]`: a CampusHub kind described once, on its
//! struct, instead of five times (the struct, its `Schema`, `Entity::field`, the SQL columns,
//! values and row mapping).
//!
//! Use them through the facade (`campushub::Entity`, `campushub::SqlEntity`); the generated
//! code names `::campushub::core` and `::campushub::sqlx` (`#[entity(core = ..., sqlx = ...)]`
//! points it elsewhere, for the workspace's own crates). `docs/extending.md` lists every
//! attribute with an example.
//!
//! ```text
//! #[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
//! #[entity(kind = "course", table = "courses")]
//! struct Course {
//!     #[serde(flatten)]
//!     meta: RecordMeta,
//!     #[field(filter, order, search, natural_key, max_chars = 20)]
//!     code: String,
//!     #[field(filter, range(1, 12))]
//!     credits: i64,
//!     #[field(filter, references = Department)]
//!     department_id: Option<Uuid>,
//!     #[field(embed(from = department_id, fields(code, name)))]
//!     department: Option<Embedded>,
//! }
//! ```

mod entity;
mod model;
mod sql;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Generates `<Name>Input` (the create and replace body: every stored field), the kind's
/// `Schema` and its `Entity` implementation from the struct's `#[entity(...)]` and
/// `#[field(...)]` attributes.
#[proc_macro_derive(Entity, attributes(entity, field))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::parse(&input)
        .map(|kind| entity::expand(&kind))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates the `SqlEntity` implementation (table, columns, values, row mapping, unique and
/// foreign keys) from the same attributes as `Entity`.
#[proc_macro_derive(SqlEntity, attributes(entity, field))]
pub fn derive_sql_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::parse(&input)
        .and_then(|kind| sql::expand_checked(&kind))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
