//! Entity schemas: which fields exist, how they are typed, what their values must be, and
//! which can be filtered (with which operators), searched and ordered by.
//!
//! A field is declared once, as a [`FieldSpec`]: the query parser, the body check
//! ([`check`]), the stores and the OpenAPI document all read that one declaration.

pub mod check;
pub mod constraints;

use crate::kind::EntityKind;

pub use constraints::{Constraints, Pattern};

/// The type of a schema field's values; query values are parsed to it. The last four types
/// are for fields a body carries that cannot be filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number.
    Int,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// An instant (RFC 3339).
    DateTime,
    /// A UUID (a reference to another record, or the record's own id).
    Uuid,
    /// `true` / `false`.
    Bool,
    /// One of a fixed set of uppercase strings.
    Choice(&'static [&'static str]),
    /// A JSON number (integer or decimal).
    Number,
    /// A JSON object with values of any type (`custom_fields`).
    Object,
    /// A list of strings (each under the field's constraints).
    TextList,
    /// Any JSON value, `null` included.
    Json,
}

/// A set of filter operators a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ops(u16);

impl Ops {
    /// No filtering.
    pub const NONE: Ops = Ops(0);
    /// `field=v`.
    pub const EQ: Ops = Ops(1 << 0);
    /// `field__in=a,b`.
    pub const IN: Ops = Ops(1 << 1);
    /// `__gt`, `__gte`, `__lt`, `__lte`.
    pub const RANGE: Ops = Ops(1 << 2);
    /// `__icontains`, `__startswith`.
    pub const TEXT: Ops = Ops(1 << 3);
    /// `__isnull=true|false`.
    pub const ISNULL: Ops = Ops(1 << 4);
    /// Equality and membership: enums, references.
    pub const EXACT: Ops = Ops(Self::EQ.0 | Self::IN.0);
    /// Equality, membership and ranges: numbers, dates.
    pub const ORDERED: Ops = Ops(Self::EXACT.0 | Self::RANGE.0);
    /// Equality, membership and text matching: names, codes.
    pub const STRING: Ops = Ops(Self::EXACT.0 | Self::TEXT.0);

    /// The union of two sets.
    pub const fn with(self, other: Ops) -> Ops {
        Ops(self.0 | other.0)
    }

    /// True when every operator of `other` is in `self`.
    pub const fn contains(self, other: Ops) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

/// One field of an entity's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The JSON (and column) name.
    pub name: &'static str,
    /// The value type.
    pub ty: FieldType,
    /// The filter operators accepted on this field.
    pub ops: Ops,
    /// Whether `ordering=` accepts it. Only non-null fields are orderable, which keeps keyset
    /// pagination free of NULL special cases.
    pub orderable: bool,
    /// Whether the field may be null.
    pub nullable: bool,
    /// What its values must be besides their type.
    pub constraints: Constraints,
    /// The name of a [`FieldType::Choice`] field's set of values in the OpenAPI document
    /// (`Gender`), for a set that fields of several kinds share or that has a name of its own;
    /// `None` names it after the kind and the field (`StudentSection`).
    pub choices_name: Option<&'static str>,
    /// Whether the field is personal data (date of birth, address lines, mobile, email):
    /// only callers the policy grants personal fields see it, filter, order or search on it
    /// ([`crate::Policy::sees_personal`]).
    pub personal: bool,
}

impl FieldSpec {
    /// A non-null field that cannot be filtered or ordered by.
    pub const fn new(name: &'static str, ty: FieldType) -> Self {
        FieldSpec {
            name,
            ty,
            ops: Ops::NONE,
            orderable: false,
            nullable: false,
            constraints: Constraints::NONE,
            choices_name: None,
            personal: false,
        }
    }

    /// Marks the field personal (see [`FieldSpec::personal`]).
    pub const fn personal(mut self) -> Self {
        self.personal = true;
        self
    }

    /// Accepts the operators `ops` in filters.
    pub const fn filter(mut self, ops: Ops) -> Self {
        self.ops = self.ops.with(ops);
        self
    }

    /// Accepts the field in `ordering=`.
    pub const fn order(mut self) -> Self {
        self.orderable = true;
        self
    }

    /// Marks the field nullable and accepts `__isnull`.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self.ops = self.ops.with(Ops::ISNULL);
        self
    }

    /// Marks the field nullable without making it filterable (a body-only field).
    pub const fn optional(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Text of at most `max` characters.
    pub const fn max_chars(mut self, max: u32) -> Self {
        self.constraints.max_chars = Some(max);
        self
    }

    /// Text of at most `max` characters that is not blank (not empty once trimmed).
    pub const fn text(self, max: u32) -> Self {
        self.max_chars(max).pattern(constraints::NON_BLANK)
    }

    /// Text (or each item of a text list) containing a match of `pattern`.
    pub const fn pattern(mut self, pattern: Pattern) -> Self {
        self.constraints.pattern = Some(pattern);
        self
    }

    /// A whole number from `min` to `max`, both included.
    pub const fn range(mut self, min: i64, max: i64) -> Self {
        self.constraints.minimum = Some(min);
        self.constraints.maximum = Some(max);
        self
    }

    /// A whole number that fits an `i32` (what the kinds' integer fields hold).
    pub const fn int32(self) -> Self {
        self.range(i32::MIN as i64, i32::MAX as i64)
    }

    /// A list whose items are distinct.
    pub const fn unique_items(mut self) -> Self {
        self.constraints.unique_items = true;
        self
    }

    /// Names the field's set of choices `name` in the OpenAPI document (see
    /// [`FieldSpec::choices_name`]): generated clients call their enum type so.
    pub const fn choices_named(mut self, name: &'static str) -> Self {
        self.choices_name = Some(name);
        self
    }
}

/// What an entity kind exposes to queries, statistics and the cache.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// The kind described.
    pub kind: EntityKind,
    /// Every field: metadata (`id`, `created_at`, `updated_at`), the queryable fields with
    /// their operators, and the writable fields with what their values must be. A writable
    /// field listed here has its body values checked against it ([`check`]) and its schema in
    /// the OpenAPI document typed from it.
    pub fields: &'static [FieldSpec],
    /// Fields `search=` matches (case-insensitive substring, any field).
    pub search: &'static [&'static str],
    /// The natural key bulk operations address rows by (`roll_number`, `employee_id`, `code`).
    pub natural_key: Option<&'static str>,
    /// Fields statistics group by, in response order.
    pub stats: &'static [&'static str],
    /// The fields that reference other kinds, and what reads embed of the referenced records.
    pub relations: &'static [Relation],
    /// Kinds whose cached results embed records of this kind: the inverse of the embedding
    /// [`Relation`]s that name this kind. A write here invalidates their cached lists too.
    ///
    /// It is declared on the referenced kind because its write events carry it. A built-in
    /// kind's list names the built-in kinds only; an application kind that embeds one adds
    /// itself on the referenced kind's service with
    /// [`crate::service::EntityServiceBuilder::also_embedded_in`].
    pub embedded_in: &'static [EntityKind],
    /// Fields a create or update body may set, in groups (shared blocks stay shared).
    pub writable: &'static [&'static [&'static str]],
    /// The writable fields a create (or PUT) body must carry, in groups like `writable`: the
    /// ones the kind's input type has no default for. The OpenAPI document marks them
    /// required.
    pub required: &'static [&'static [&'static str]],
    /// Fields a body may carry but that are ignored on write (audit fields, embedded
    /// summaries; the metadata ones are [`META_READ_ONLY`]), so that a client can PUT back
    /// what it read.
    pub read_only: &'static [&'static str],
}

/// The metadata fields every entity has, in the form every schema lists them.
pub const META_FIELDS: [FieldSpec; 3] = [
    FieldSpec::new("id", FieldType::Uuid).filter(Ops::EXACT),
    FieldSpec::new("created_at", FieldType::DateTime)
        .filter(Ops::ORDERED)
        .order(),
    FieldSpec::new("updated_at", FieldType::DateTime)
        .filter(Ops::ORDERED)
        .order(),
];

/// Metadata names a body may carry and that are ignored on write.
pub const META_READ_ONLY: [&str; 4] = ["id", "created_at", "updated_at", "version"];

impl Schema {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether a body may set `name`.
    pub fn is_writable(&self, name: &str) -> bool {
        self.writable.iter().any(|group| group.contains(&name))
    }

    /// Whether the kind's records carry custom-field values: a body may set `custom_fields`,
    /// checked against the definitions made for the kind.
    pub fn has_custom_fields(&self) -> bool {
        self.is_writable("custom_fields")
    }

    /// The fields a create body must carry.
    pub fn required_fields(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().flat_map(|group| group.iter().copied())
    }

    /// The relations that embed a summary on read.
    pub fn embedding_relations(&self) -> impl Iterator<Item = (&'static Relation, &'static Embed)> {
        self.relations
            .iter()
            .filter_map(|relation| relation.embed.as_ref().map(|embed| (relation, embed)))
    }

    /// The personal fields ([`FieldSpec::personal`]).
    pub fn personal_fields(&self) -> impl Iterator<Item = &'static str> {
        self.fields.iter().filter(|f| f.personal).map(|f| f.name)
    }

    /// Whether `name` is a personal field.
    pub fn is_personal(&self, name: &str) -> bool {
        self.field(name).is_some_and(|f| f.personal)
    }

    /// Whether a body may carry `name` as an ignored read-only field.
    pub fn is_read_only(&self, name: &str) -> bool {
        META_READ_ONLY.contains(&name) || self.read_only.contains(&name)
    }
}

/// Joins field groups into one `'static` list, for schemas built once in a `LazyLock`
/// (the metadata fields, a shared block, the kind's own fields).
pub fn join_fields(groups: &[&[FieldSpec]]) -> &'static [FieldSpec] {
    groups.concat().leak()
}

/// A reference from one kind to another through a `Uuid` field, declared in
/// [`Schema::relations`].
///
/// The stores read the referenced id with [`Entity::field`](crate::Entity::field)`(field)`,
/// check that the referenced record exists on write (see
/// [`Entity::references`](crate::Entity::references)), and, when the relation embeds, attach a
/// summary of the referenced record on every read with
/// [`Entity::set_embedded`](crate::Entity::set_embedded), in a bounded number of statements
/// whatever the page size. Build one with [`Relation::to`] (its example shows a course
/// embedding its department) or [`Relation::to_kind`].
#[derive(Debug, Clone, Copy)]
pub struct Relation {
    /// The referencing field of this kind (a [`FieldType::Uuid`] schema field).
    pub field: &'static str,
    /// The referenced kind.
    pub kind: EntityKind,
    /// The referenced kind's schema (its [`Entity::schema`](crate::Entity::schema)), which
    /// types the embedded fields: set by [`Relation::to`], absent with [`Relation::to_kind`].
    pub target: Option<fn() -> &'static Schema>,
    /// What reads embed of the referenced record, if anything (it needs `target`).
    pub embed: Option<Embed>,
}

impl Relation {
    /// A relation from `field` to `kind` known by name only: references are checked and
    /// protected, but nothing is embedded (that needs the target's schema: use
    /// [`Relation::to`]). For kinds that reference each other, one side can name the other
    /// without importing its type, so their modules do not import each other (the workspace
    /// keeps its module graph acyclic: `tests/module_cycles`).
    pub const fn to_kind(kind: EntityKind, field: &'static str) -> Self {
        Relation {
            field,
            kind,
            target: None,
            embed: None,
        }
    }

    /// The relation, embedding `embed` on read (with a target from [`Relation::to`]).
    pub const fn embed(mut self, embed: Embed) -> Self {
        self.embed = Some(embed);
        self
    }
}

/// The summary of a referenced record that reads embed, declared in [`Relation::embed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embed {
    /// The field of the referencing kind that holds the summary (`department`); it is
    /// read-only (list it in [`Schema::read_only`]).
    pub as_field: &'static str,
    /// The referenced kind's schema fields the summary carries besides its id, in order
    /// (`code`, `name`).
    pub fields: &'static [&'static str],
}

impl Embed {
    /// A summary held in `as_field` carrying the referenced record's `fields`.
    pub const fn new(as_field: &'static str, fields: &'static [&'static str]) -> Self {
        Embed { as_field, fields }
    }
}
