//! An import of one file: its header row matched to the kind's columns, its cells parsed,
//! references resolved by natural key, and its rows upserted through the service a batch at
//! a time ([`ImportRun`](crate::service::ImportRun)), every problem reported with its row and column.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::cell::Cell;
use super::columns::{Columns, Source};
use super::headers::match_headers;
use super::sheet::SheetRows;
use super::values::{parse_cell, Parsed};
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::{Error, Result, ValidationErrors};
use crate::kind::EntityKind;
use crate::service::{
    EntityService, ImportOptions, ImportProgress, KeyRows, IMPORT_BATCH_ROWS, NON_FIELD_ERRORS,
};
use crate::Principal;

/// One problem of an import, where a spreadsheet program shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ImportIssue))]
pub struct Issue {
    /// The row in the file, the header row being row 1.
    pub row: usize,
    /// The column's header, or none for a problem of the whole row.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// What an import did, or in a dry run would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ImportReport))]
pub struct ImportReport {
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Data rows read (blank rows skipped).
    pub rows: usize,
    /// Rows created, or that a commit would create.
    pub created: usize,
    /// Rows updated, or that a commit would update.
    pub updated: usize,
    /// Whether anything was written.
    pub written: bool,
    /// Every problem found, by row.
    pub errors: Vec<Issue>,
    /// The consistency token of the last commit.
    #[serde(skip)]
    pub token: Option<ConsistencyToken>,
}

/// Resolves natural keys of one kind to record ids (an [`EntityService`] does).
#[async_trait]
pub trait NaturalKeys: Send + Sync {
    /// The ids of the records with these keys, by key; keys without a record are absent.
    async fn ids(&self, keys: &[String]) -> Result<HashMap<String, Uuid>>;
}

#[async_trait]
impl<E: Entity> NaturalKeys for EntityService<E> {
    async fn ids(&self, keys: &[String]) -> Result<HashMap<String, Uuid>> {
        self.ids_by_natural_keys(keys).await
    }
}

/// The kinds an import can reference by natural key, each with its resolver.
#[derive(Clone, Default)]
pub struct References {
    by_kind: HashMap<EntityKind, Arc<dyn NaturalKeys>>,
}

impl std::fmt::Debug for References {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.by_kind.keys()).finish()
    }
}

impl References {
    /// No kind resolvable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves keys of `kind` with `keys`.
    pub fn with(mut self, kind: EntityKind, keys: Arc<dyn NaturalKeys>) -> Self {
        self.by_kind.insert(kind, keys);
        self
    }
}

/// A data row on its way to the service.
struct Pending {
    /// Its row in the file.
    row: usize,
    body: Map<String, Value>,
    /// `(column, key)` of each reference cell, to be resolved.
    keys: Vec<(usize, String)>,
    /// Whether a cell of it was refused.
    refused: bool,
}

/// Imports the rows of `sheet` into `service` as `principal`, with `columns` (see
/// [`Columns::of`]), telling `progress` how far the checks and the writes are.
///
/// The rows go through in the batches `sheet` gives (about [`IMPORT_BATCH_ROWS`];
/// [`ImportRun`](crate::service::ImportRun)): each batch's cells are parsed, its references
/// resolved and its rows checked and written before the next batch is asked for, each data
/// row's cells dropped as it is parsed. Across batches only the natural keys seen (a repeat
/// names the first row, kept as compactly as the key's bytes allow) and the problems found are kept.
///
/// # Errors
/// [`Error::Unprocessable`] naming each header that matches no column (or repeats one) and a
/// missing natural key column; what [`EntityService::start_import`] and
/// [`ImportRun`](crate::service::ImportRun)
/// return as errors.
pub async fn import_sheet<E: Entity>(
    service: &EntityService<E>,
    principal: &Principal,
    mut sheet: impl SheetRows,
    columns: &Columns,
    references: &References,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport> {
    let key = E::schema().natural_key;
    let positions = match_headers(columns, sheet.headers(), key).map_err(|errors| {
        let mut fields = ValidationErrors::new();
        for (header, message) in errors {
            fields.add(header, message);
        }
        Error::Unprocessable(fields)
    })?;
    let mut run = service.start_import(principal, options).await?;
    let mut issues = Vec::new();
    let mut first_rows = KeyRows::default();
    let mut rows = 0;
    // The data rows given so far, blank ones included: the next one's row is this + 2.
    let mut offset = 0;
    while let Some(batch) = sheet.next_rows().await? {
        let mut pending = Vec::with_capacity(batch.len().min(IMPORT_BATCH_ROWS));
        for cells in batch {
            let row = offset + 2;
            offset += 1;
            if cells.iter().all(is_blank) {
                continue;
            }
            pending.push(parse_row(columns, &positions, row, cells, &mut issues));
        }
        rows += pending.len();
        if let Some(key) = key {
            refuse_repeated_keys(columns, key, &mut first_rows, &mut pending, &mut issues);
        }
        resolve(columns, references, &mut pending, &mut issues).await?;
        let refused = pending.iter().filter(|row| row.refused).count();
        if refused > 0 {
            // A refused cell keeps an all-or-nothing import from writing: the other rows
            // are still checked, so that one answer reports every problem.
            run.refused_elsewhere().await?;
            // The rows refused here are checked already; the service reports the others.
            progress.checked(refused);
        }
        let bodies = pending
            .into_iter()
            .filter(|row| !row.refused)
            .map(|row| (row.row, row.body))
            .collect();
        run.rows(bodies, progress).await?;
    }
    let outcome = run.finish(progress).await?;
    for refused in outcome.errors {
        for (field, messages) in refused.errors.iter() {
            let column = (field != NON_FIELD_ERRORS).then(|| columns.header_for(field));
            for message in messages {
                issues.push(Issue {
                    row: refused.index,
                    column: column.clone(),
                    message: message.clone(),
                });
            }
        }
    }
    issues.sort_by_key(|issue| issue.row);
    Ok(ImportReport {
        dry_run: options.dry_run,
        rows,
        created: outcome.created,
        updated: outcome.updated,
        written: outcome.written,
        errors: issues,
        token: outcome.token,
    })
}

fn is_blank(cell: &Cell) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(text) => text.trim().is_empty(),
        _ => false,
    }
}

/// The body of the data row `row` (`cells` in header order); refused cells go to `issues`.
fn parse_row(
    columns: &Columns,
    positions: &[usize],
    row: usize,
    cells: Vec<Cell>,
    issues: &mut Vec<Issue>,
) -> Pending {
    let mut pending = Pending {
        row,
        body: Map::new(),
        keys: Vec::new(),
        refused: false,
    };
    if cells.len() > positions.len() && !cells[positions.len()..].iter().all(is_blank) {
        pending.refused = true;
        issues.push(Issue {
            row,
            column: None,
            message: format!(
                "{} cells, but the header row has {} columns",
                cells.len(),
                positions.len()
            ),
        });
    }
    let mut cells = cells.into_iter();
    for &index in positions {
        let cell = cells.next().unwrap_or(Cell::Empty);
        let Some(column) = columns.get(index) else {
            continue;
        };
        match parse_cell(column, &cell) {
            Ok(Parsed::Absent) => {}
            Ok(Parsed::Key(key)) => pending.keys.push((index, key)),
            Ok(Parsed::Value(value)) => match &column.source {
                Source::Field(spec) => {
                    pending.body.insert(spec.name.to_owned(), value);
                }
                Source::Reference { field, .. } => {
                    pending.body.insert(field.name.to_owned(), value);
                }
                Source::Custom { name, .. } => {
                    let values = pending
                        .body
                        .entry("custom_fields")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(values) = values {
                        values.insert(name.clone(), value);
                    }
                }
            },
            Err(message) => {
                pending.refused = true;
                issues.push(Issue {
                    row,
                    column: Some(column.header.clone()),
                    message,
                });
            }
        }
    }
    pending
}

/// Refuses each row that repeats the natural key of an earlier row, whether or not that row
/// has other problems (the service sees only rows without any).
/// `first`: the row of each key seen in earlier batches.
fn refuse_repeated_keys(
    columns: &Columns,
    key: &str,
    first: &mut KeyRows,
    pending: &mut [Pending],
    issues: &mut Vec<Issue>,
) {
    for row in pending.iter_mut() {
        let Some(Value::String(value)) = row.body.get(key) else {
            continue;
        };
        if let Some(earlier) = first.first_or_insert(value, row.row) {
            row.refused = true;
            issues.push(Issue {
                row: row.row,
                column: Some(columns.header_for(key)),
                message: format!("`{value}` is the {key} of row {earlier} too"),
            });
        }
    }
}

/// Writes each reference cell's id into its row's body; a key no record has is an issue.
async fn resolve(
    columns: &Columns,
    references: &References,
    pending: &mut [Pending],
    issues: &mut Vec<Issue>,
) -> Result<()> {
    let mut wanted: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for row in pending.iter() {
        for (index, key) in &row.keys {
            wanted.entry(*index).or_default().insert(key.clone());
        }
    }
    let mut found: HashMap<usize, HashMap<String, Uuid>> = HashMap::new();
    for (index, keys) in wanted {
        let Some(Source::Reference { kind, .. }) = columns.get(index).map(|c| &c.source) else {
            continue;
        };
        let Some(resolver) = references.by_kind.get(kind) else {
            return Err(Error::Internal {
                message: format!("no resolver for references to `{kind}`"),
                source: None,
            });
        };
        let keys: Vec<String> = keys.into_iter().collect();
        found.insert(index, resolver.ids(&keys).await?);
    }
    for row in pending.iter_mut() {
        for (index, key) in std::mem::take(&mut row.keys) {
            let Some(column) = columns.get(index) else {
                continue;
            };
            let Source::Reference {
                field,
                kind,
                key: key_name,
                ..
            } = &column.source
            else {
                continue;
            };
            match found.get(&index).and_then(|ids| ids.get(&key)) {
                Some(id) => {
                    row.body
                        .insert(field.name.to_owned(), Value::String(id.to_string()));
                }
                None => {
                    row.refused = true;
                    issues.push(Issue {
                        row: row.row,
                        column: Some(column.header.clone()),
                        message: format!("no {kind} has {key_name} `{key}`"),
                    });
                }
            }
        }
    }
    Ok(())
}
