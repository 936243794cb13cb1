//! The table-description trait: what an [`Entity`] says once to get a SQL repository on
//! both backends.

use campushub_core::Entity;

use crate::row::SqlRow;
use crate::value::{ColType, SqlValue};

/// One column of an entity's table (metadata columns excluded: every table has them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column name; a schema field of the same name is backed by this column.
    pub name: &'static str,
    /// The storage type.
    pub ty: ColType,
}

impl Column {
    /// A column named `name` of type `ty`.
    pub const fn new(name: &'static str, ty: ColType) -> Self {
        Column { name, ty }
    }
}

/// A unique constraint, so that a clash is reported as a conflict on `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueKey {
    /// The constraint's name in the Postgres migration.
    pub constraint: &'static str,
    /// The constrained columns (SQLite reports clashes by column).
    pub columns: &'static [&'static str],
    /// The field a clash is reported on.
    pub field: &'static str,
}

/// A foreign key from this table to another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referencing column (a schema field of this kind).
    pub column: &'static str,
    /// The referenced table (its `id` column).
    pub table: &'static str,
}

/// A tree over the table: each row's `column` names its parent row in the same table (also
/// a [`ForeignKey`] to it).
///
/// Writes that set the column run one at a time per table and check the chain of parents
/// inside their own transaction, before they write: a row may not become its own ancestor,
/// and a chain may not grow longer than `max_depth`. Checked against what is committed, under
/// a lock every such write takes, two concurrent moves cannot both pass (see
/// `docs/decisions.md`).
#[derive(Debug, Clone, Copy)]
pub struct Hierarchy {
    /// The parent column (a schema field of this kind).
    pub column: &'static str,
    /// Parents walked at most; a longer chain is refused with `too_deep`.
    pub max_depth: usize,
    /// The error of a write that would close a cycle.
    pub cycle: fn() -> campushub_core::Error,
    /// The error of a write that would make a chain longer than `max_depth`.
    pub too_deep: fn() -> campushub_core::Error,
}

/// The metadata columns every table starts with, in this order.
pub const META_COLUMNS: [Column; 4] = [
    Column::new("id", ColType::Uuid),
    Column::new("created_at", ColType::DateTime),
    Column::new("updated_at", ColType::DateTime),
    Column::new("version", ColType::Int),
];

/// The audit columns of a kind with an [`campushub_core::Audit`] block, after its own, in this
/// order ([`crate::SqlRow::audit`] reads them).
pub const AUDIT_COLUMNS: [Column; 2] = [
    Column::new("created_by", ColType::Text),
    Column::new("updated_by", ColType::Text),
];

/// How an entity is stored: implement it once and [`crate::SqlRepository`] serves the kind
/// on Postgres and SQLite, statements generated from this description.
///
/// The relations the kind's schema declares ([`campushub_core::Schema::relations`]) need a
/// [`ForeignKey`] on their field; the columns of an embedded summary are the referenced
/// table's columns named like the embedded fields.
///
/// Custom-field values live in a JSON column named `custom_fields` (`jsonb` on Postgres);
/// list it among [`SqlEntity::columns`] for kinds that have them.
pub trait SqlEntity: Entity {
    /// The table name.
    const TABLE: &'static str;

    /// The columns after the metadata ones, in the order of [`SqlEntity::values`].
    fn columns() -> &'static [Column];

    /// The record's values for [`SqlEntity::columns`], in the same order and types.
    fn values(&self) -> Vec<SqlValue>;

    /// The record stored in `row` (metadata from [`SqlRow::meta`]).
    fn from_row(row: &SqlRow<'_>) -> crate::Result<Self>;

    /// Unique constraints besides the primary key.
    fn unique_keys() -> &'static [UniqueKey] {
        &[]
    }

    /// Foreign keys from this table. The foreign key on the field of an embedding
    /// [`campushub_core::Relation`] names the table reads join (or look the page's references
    /// up in, one statement per relation) for the summary.
    fn foreign_keys() -> &'static [ForeignKey] {
        &[]
    }

    /// The tree this table holds, if any: writes that set its parent column are serialized
    /// and checked for cycles in their transaction (see [`Hierarchy`]).
    fn hierarchy() -> Option<Hierarchy> {
        None
    }

    /// The groupings whose counts the table's triggers keep in `campushub_group_counts`, in
    /// each write's transaction: field names, and `a,b` for the counts per pair of values
    /// (the table's total is always kept alongside). Statistics without a filter on fields
    /// among them read those counts instead of scanning, and
    /// [`crate::SqlRepository::verify_group_counts`] checks them against the rows. None by
    /// default; the built-in kinds' migrations create their triggers. A kind of your own that
    /// lists groupings needs them too: on Postgres, `SELECT campushub_keep_counts('table',
    /// ARRAY['field', 'a,b'])` in your migration; on SQLite, row triggers like those of the
    /// `group_counts` migration.
    fn kept_counts() -> &'static [&'static str] {
        &[]
    }

    /// The columns of the table's statistics index, in its order (empty: none). Statistics
    /// the kept counts cannot answer (filtered ones) count the rows grouped by every
    /// statistics field at once, in this order, so that the planner reads the index alone
    /// (an index-only scan, narrowed by an equality on its leading column) and aggregates
    /// its entries as they come, in order, without a hash table. A kind of your own that
    /// lists columns here creates the index in its migration: `CREATE INDEX ... ON table
    /// (columns in this order)`.
    fn statistics_index() -> &'static [&'static str] {
        &[]
    }
}
