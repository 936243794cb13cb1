//! Typed list queries: filters, search, ordering and pagination, parsed from raw parameters
//! against an entity's [`Schema`](crate::schema::Schema) so that nothing reaches storage
//! unvalidated.
//!
//! Parameters follow Django REST Framework conventions (the API CampusHub replaces):
//!
//! | parameter | meaning |
//! |---|---|
//! | `field=v` | equality |
//! | `field__in=a,b` | membership |
//! | `field__gt=v`, `__gte`, `__lt`, `__lte` | ranges |
//! | `field__icontains=v`, `field__startswith=v` | text matching (case-insensitive, case-sensitive) |
//! | `field__isnull=true\|false` | null test (nullable fields) |
//! | `cf.<name>=v`, `cf.<name>__<op>=v` | the same on custom fields |
//! | `search=text` | case-insensitive substring over the kind's search fields |
//! | `ordering=-created_at,last_name` | sort keys; `id` is always the final tiebreak |
//! | `cursor=...` | keyset page (opaque, tamper-evident, tied to the ordering) |
//! | `page=N&page_size=M` | page-number page (`page_size` default 50, max 200) |

mod cursor;
mod eval;
mod filter;
mod fingerprint;
mod keyset_bytes;
mod order;
mod page;
mod parse;
mod scalar;

use uuid::Uuid;

pub use cursor::CursorCodec;
pub use filter::custom_operators;
pub use filter::CUSTOM_PREFIX;
pub use page::{keyset_at, paginate, Page, PageLink, Total};
pub use parse::too_many_params;

use crate::custom_fields::CustomFieldType;
use crate::kind::EntityKind;
use crate::schema::FieldSpec;
use crate::value::Scalar;

/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page size accepted.
pub const MAX_PAGE_SIZE: u32 = 200;
/// The most values one `__in` filter accepts.
pub const MAX_IN_VALUES: usize = 200;
/// The longest text value (filter operand, search text) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// The most parameters one list or statistics query accepts: more than a kind's document
/// lists (every operator of every filterable field is a parameter of its own: 90 for
/// students, plus up to 9 per custom field), few enough that a request of thousands of
/// parameters is refused before any is parsed and its error stays small.
pub const MAX_PARAMS: usize = 256;

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `field=v`
    Eq,
    /// `field__in=a,b`
    In,
    /// `field__gt=v`
    Gt,
    /// `field__gte=v`
    Gte,
    /// `field__lt=v`
    Lt,
    /// `field__lte=v`
    Lte,
    /// `field__icontains=v`: case-insensitive substring.
    IContains,
    /// `field__startswith=v`: case-sensitive prefix.
    StartsWith,
    /// `field__isnull=true|false`
    IsNull,
}

impl Op {
    /// Every operator.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::In,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::IContains,
        Op::StartsWith,
        Op::IsNull,
    ];

    /// The parameter suffix (`""` for equality, `"gte"` for `__gte`).
    pub const fn suffix(self) -> &'static str {
        match self {
            Op::Eq => "",
            Op::In => "in",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::IContains => "icontains",
            Op::StartsWith => "startswith",
            Op::IsNull => "isnull",
        }
    }

    /// The operator for a suffix.
    pub fn from_suffix(suffix: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.suffix() == suffix)
    }

    /// The operator group a field must accept for this operator.
    pub const fn required(self) -> crate::schema::Ops {
        use crate::schema::Ops;
        match self {
            Op::Eq => Ops::EQ,
            Op::In => Ops::IN,
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => Ops::RANGE,
            Op::IContains | Op::StartsWith => Ops::TEXT,
            Op::IsNull => Ops::ISNULL,
        }
    }
}

/// What a filter applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterField {
    /// A schema field.
    Schema(&'static FieldSpec),
    /// A custom field (`cf.<name>`), typed by its definition.
    Custom {
        /// The custom field's name.
        name: String,
        /// Its definition's type.
        field_type: CustomFieldType,
    },
}

impl FilterField {
    /// The field's name (`last_name`, or the custom field's name without `cf.`).
    pub fn name(&self) -> &str {
        match self {
            FilterField::Schema(spec) => spec.name,
            FilterField::Custom { name, .. } => name,
        }
    }
}

/// A filter's operand, already parsed to the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// One value (`Eq`, ranges, text matching).
    One(Scalar),
    /// Several values (`In`), never empty.
    Many(Vec<Scalar>),
    /// `IsNull`: true for "is null", false for "is not null".
    Null(bool),
}

/// One validated filter.
///
/// Custom-field semantics: `Eq` on a `multiselect` field means "the selection contains the
/// value", `In` "contains any of the values". Comparisons are case-sensitive except
/// `IContains`; text ranges and ordering use byte order (the `C` collation).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// What is filtered.
    pub field: FilterField,
    /// How.
    pub op: Op,
    /// Against what.
    pub value: FilterValue,
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderKey {
    /// The (orderable, non-null) field.
    pub field: &'static FieldSpec,
    /// Descending when true.
    pub descending: bool,
}

/// A position in a keyset walk: the sort-key values and id of the row the page starts after.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyset {
    /// True for a "previous page" cursor: rows before the position, nearest first.
    pub backwards: bool,
    /// The values of the ordering keys at the position, one per [`ListQuery::ordering`] key.
    pub values: Vec<Scalar>,
    /// The id at the position (the final tiebreak).
    pub id: Uuid,
}

/// Which page is asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Pagination {
    /// Keyset pages (the default): the first page, or the page after/before a position.
    Cursor(Option<Keyset>),
    /// Page-number pages, 1-based; the response carries a total count.
    Number(u32),
}

/// A validated list query for one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The kind queried.
    pub kind: EntityKind,
    /// Filters, all of which must hold.
    pub filters: Vec<Filter>,
    /// Search text: a row matches when any search field contains it, ignoring case.
    pub search: Option<String>,
    /// Sort keys (at least one); `id` follows as the tiebreak, in the last key's direction.
    pub ordering: Vec<OrderKey>,
    /// Which page.
    pub pagination: Pagination,
    /// Rows per page, 1..=[`MAX_PAGE_SIZE`].
    pub page_size: u32,
}
