//! Data in and out of spreadsheets, independent of storage and of file format.
//!
//! A kind's [`Columns`] are derived from its [`Schema`](crate::Schema) and its custom-field
//! definitions: the writable fields under their own names (the natural key first), an
//! embedded reference as the referenced record's natural key (`department` holds the
//! department's `code`), and `cf.<name>` per custom field. An export writes each record as
//! [`Cell`]s ([`cell_of`]), text escaped against formula injection ([`escape_formula`]);
//! an import reads a file's rows a batch at a time ([`SheetRows`]; [`Sheet`] holds them whole), matches its headers ([`match_headers`], with [`ALIASES`]),
//! parses its cells ([`parse_cell`]), resolves references ([`References`]) and upserts the
//! rows through the service ([`import_sheet`]), reporting every problem as an [`Issue`]
//! with its row and column. The audit log exports as [`audit_rows`], one row per changed
//! field.

mod audit_rows;
mod cell;
mod columns;
mod headers;
mod import;
pub mod jobs;
mod sheet;
mod values;

pub use audit_rows::{audit_rows, AUDIT_HEADERS};
pub use cell::{escape_formula, unescape_formula, Cell};
pub use columns::{Column, Columns, Source};
pub use headers::{match_headers, normalize, ALIASES};
pub use import::{import_sheet, ImportReport, Issue, NaturalKeys, References};
pub use sheet::{Sheet, SheetRows};
pub use values::{cell_of, parse_cell, Parsed, LIST_SEPARATOR};
