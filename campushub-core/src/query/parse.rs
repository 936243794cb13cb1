//! Parsing raw `key=value` parameters into a [`ListQuery`].

use std::collections::HashSet;

use super::filter::{parse_filter, CUSTOM_PREFIX};
use super::scalar::{fits, parse_text, shown, MAX_PARAM_BYTES};
use super::{
    Keyset, ListQuery, OrderKey, Pagination, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PARAMS,
};
use crate::custom_fields::CustomFieldDef;
use crate::error::{Result, ValidationErrors};
use crate::query::CursorCodec;
use crate::schema::Schema;

/// The parameters that are not filters.
const SEARCH: &str = "search";
const ORDERING: &str = "ordering";
const CURSOR: &str = "cursor";
const PAGE: &str = "page";
const PAGE_SIZE: &str = "page_size";
/// Where an error about the parameters as a whole is reported.
const QUERY: &str = "query";

/// The error for a query of more than [`MAX_PARAMS`] parameters.
pub fn too_many_params() -> String {
    format!("at most {MAX_PARAMS} query parameters are accepted")
}

impl ListQuery {
    /// Every record of `schema`'s kind: no filters, ordered by `-created_at`, the first keyset
    /// page of [`DEFAULT_PAGE_SIZE`] rows.
    pub fn new(schema: &Schema) -> ListQuery {
        let created_at = schema
            .field("created_at")
            .into_iter()
            .chain(schema.fields.first());
        ListQuery {
            kind: schema.kind,
            filters: Vec::new(),
            search: None,
            ordering: created_at
                .take(1)
                .map(|field| super::OrderKey {
                    field,
                    descending: true,
                })
                .collect(),
            pagination: Pagination::Cursor(None),
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Parses list parameters against `schema` and the kind's custom-field `definitions`.
    ///
    /// Every unknown parameter, unknown field, operator the field does not accept, unparsable
    /// value, bad ordering and out-of-range page is a [`crate::Error::Validation`] naming the
    /// parameter. What has the declared shape but cannot be honoured is an
    /// [`crate::Error::Unprocessable`] naming the parameter: a cursor that is tampered with or
    /// does not fit the ordering, a cursor with a page number, a field ordered by twice, a
    /// `cf.` filter that does not fit the custom-field definitions in force. More than [`MAX_PARAMS`] parameters are refused as a whole, before
    /// any is parsed.
    pub fn parse<'a>(
        schema: &Schema,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        definitions: &[CustomFieldDef],
        cursors: &CursorCodec,
    ) -> Result<ListQuery> {
        Parser::new(schema, definitions, Some(cursors)).run(params)
    }

    /// Parses filter and search parameters only (statistics): pagination and ordering
    /// parameters are rejected by name.
    pub fn parse_filters<'a>(
        schema: &Schema,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        definitions: &[CustomFieldDef],
    ) -> Result<ListQuery> {
        Parser::new(schema, definitions, None).run(params)
    }

    /// Rows a store should fetch: one more than the page, to learn whether a next page
    /// exists. Page-number pages need it too: a count stopped at the service's cap does not
    /// say whether rows follow a page beyond the cap.
    pub fn limit(&self) -> u32 {
        self.page_size.saturating_add(1)
    }

    /// Rows to skip: only page-number pages skip.
    pub fn offset(&self) -> u64 {
        match self.pagination {
            Pagination::Cursor(_) => 0,
            Pagination::Number(page) => {
                u64::from(page.saturating_sub(1)) * u64::from(self.page_size)
            }
        }
    }

    /// The canonical `ordering=` text of the query (`-created_at`, `last_name,-created_at`):
    /// what cursors are tied to.
    pub fn ordering_text(&self) -> String {
        let keys: Vec<String> = self
            .ordering
            .iter()
            .map(|key| {
                let sign = if key.descending { "-" } else { "" };
                format!("{sign}{}", key.field.name)
            })
            .collect();
        keys.join(",")
    }
}

/// One parse: the schema, definitions and (for lists) the cursor codec, and the errors found.
struct Parser<'s> {
    schema: &'s Schema,
    definitions: &'s [CustomFieldDef],
    /// `None` when parsing statistics filters: ordering and pagination are refused.
    cursors: Option<&'s CursorCodec>,
    /// Parameters without the shape the document declares (400).
    errors: ValidationErrors,
    /// Parameters of the declared shape that cannot be honoured together or that name a
    /// position the server did not issue: what no parameter schema can state (422).
    refused: ValidationErrors,
}

impl<'s> Parser<'s> {
    fn new(
        schema: &'s Schema,
        definitions: &'s [CustomFieldDef],
        cursors: Option<&'s CursorCodec>,
    ) -> Self {
        Parser {
            schema,
            definitions,
            cursors,
            errors: ValidationErrors::new(),
            refused: ValidationErrors::new(),
        }
    }

    fn run<'a>(
        mut self,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ListQuery> {
        let params: Vec<(&str, &str)> = params.into_iter().take(MAX_PARAMS + 1).collect();
        if params.len() > MAX_PARAMS {
            self.fail(QUERY, too_many_params());
            return self
                .errors
                .into_result()
                .map(|()| ListQuery::new(self.schema));
        }
        let mut query = ListQuery::new(self.schema);
        let mut seen = HashSet::new();
        let mut cursor = None;
        let mut page = None;
        let mut ordering = None;
        for (key, raw) in params {
            if !seen.insert(key) {
                self.fail(key, "the parameter is given more than once; give it once");
                continue;
            }
            if raw.len() > MAX_PARAM_BYTES {
                self.fail(
                    key,
                    format!("the value is longer than {MAX_PARAM_BYTES} bytes"),
                );
                continue;
            }
            let paging = matches!(key, ORDERING | CURSOR | PAGE | PAGE_SIZE);
            if paging && self.cursors.is_none() {
                self.fail(
                    key,
                    "not accepted here: statistics take filters and `search` only",
                );
                continue;
            }
            match key {
                SEARCH => query.search = self.check(key, parse_search(raw)),
                ORDERING => ordering = Some(raw),
                CURSOR => cursor = Some(raw),
                PAGE => page = self.check(key, parse_page(raw)),
                PAGE_SIZE => {
                    if let Some(size) = self.check(key, parse_page_size(raw)) {
                        query.page_size = size;
                    }
                }
                _ => match parse_filter(self.schema, self.definitions, key, raw) {
                    Ok(filter) => query.filters.push(filter),
                    // A `cf.` filter is read against the definitions in force, which a client's
                    // copy of the document may predate (one deleted, deactivated or retyped
                    // since): like a reference to a record that does not exist.
                    Err(message) if key.starts_with(CUSTOM_PREFIX) => self.refuse(key, message),
                    Err(message) => self.fail(key, message),
                },
            }
        }
        let ordering_ok = match ordering {
            Some(raw) => match parse_ordering(self.schema, raw) {
                Ok(keys) => match repeated_key(&keys) {
                    Some(name) => {
                        self.refuse(ORDERING, format!("`{name}` is listed more than once"));
                        false
                    }
                    None => {
                        query.ordering = keys;
                        true
                    }
                },
                Err(message) => {
                    self.fail(ORDERING, message);
                    false
                }
            },
            None => true,
        };
        match (cursor, page) {
            (Some(_), Some(_)) => self.refuse(
                CURSOR,
                "`cursor` and `page` cannot be combined: use keyset pages or page numbers",
            ),
            (None, Some(page)) => query.pagination = Pagination::Number(page),
            (Some(raw), None) if ordering_ok => match self.decode_cursor(&query, raw) {
                Ok(position) => query.pagination = Pagination::Cursor(Some(position)),
                Err(message) => self.refuse(CURSOR, message),
            },
            _ => {}
        }
        if self.errors.is_empty() {
            self.refused.into_unprocessable().map(|()| query)
        } else {
            self.errors.merge(self.refused);
            self.errors.into_result().map(|()| query)
        }
    }

    /// Decodes a cursor for `query`'s ordering and checks its values fit the ordering keys.
    fn decode_cursor(&self, query: &ListQuery, raw: &str) -> Result<Keyset, String> {
        let cursors = self.cursors.ok_or("not accepted here")?;
        let position = cursors
            .decode(&query.ordering_text(), raw)
            .map_err(|error| cursor_message(&error))?;
        let fits_keys = position.values.len() == query.ordering.len()
            && query
                .ordering
                .iter()
                .zip(&position.values)
                .all(|(key, value)| fits(key.field.ty, value));
        if fits_keys {
            Ok(position)
        } else {
            Err("the cursor does not fit this ordering; start again without `cursor`".to_owned())
        }
    }

    /// The value, or `None` after recording the error against `key`.
    fn check<T>(&mut self, key: &str, outcome: Result<T, String>) -> Option<T> {
        outcome.map_err(|message| self.fail(key, message)).ok()
    }

    /// Records `message` against parameter `key` as a value of the declared shape that cannot
    /// be honoured (a cursor the server did not issue, parameters that exclude each other).
    fn refuse(&mut self, key: &str, message: impl Into<String>) {
        let key = shown(key);
        if !self.refused.contains(&key) {
            self.refused.add(key, message);
        }
    }

    /// Records `message` against parameter `key` (shortened: an error echoes no more of a
    /// name than of a value), once per parameter.
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        let key = shown(key);
        if !self.errors.contains(&key) {
            self.errors.add(key, message);
        }
    }
}

/// The message of a codec error (which is a validation error on `cursor`).
fn cursor_message(error: &crate::Error) -> String {
    error
        .validation_errors()
        .and_then(|errors| errors.get(CURSOR))
        .and_then(|messages| messages.first())
        .cloned()
        .unwrap_or_else(|| error.to_string())
}

/// Non-blank search text of at most 200 characters (as sent), trimmed.
fn parse_search(raw: &str) -> Result<String, String> {
    parse_text(raw)?;
    let text = raw.trim();
    if text.is_empty() {
        return Err("search text may not be blank".to_owned());
    }
    Ok(text.to_owned())
}

/// `1`, `2`, ...
fn parse_page(raw: &str) -> Result<u32, String> {
    raw.parse::<u32>()
        .ok()
        .filter(|page| *page >= 1)
        .ok_or_else(|| format!("`{}` is not a page number (1, 2, ...)", shown(raw)))
}

/// `1..=MAX_PAGE_SIZE`.
fn parse_page_size(raw: &str) -> Result<u32, String> {
    raw.parse::<u32>()
        .ok()
        .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
        .ok_or_else(|| {
            format!(
                "`{}` is not a page size: use a whole number from 1 to {MAX_PAGE_SIZE}",
                shown(raw)
            )
        })
}

/// `-created_at,last_name`: orderable fields, each at most once, `-` for descending.
fn parse_ordering(schema: &Schema, raw: &str) -> Result<Vec<OrderKey>, String> {
    let orderable = || {
        schema
            .fields
            .iter()
            .filter(|spec| spec.orderable)
            .map(|spec| spec.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut keys: Vec<OrderKey> = Vec::new();
    for item in raw.split(',') {
        let item = item.trim();
        let (name, descending) = match item.strip_prefix('-') {
            Some(name) => (name, true),
            None => (item, false),
        };
        if name.is_empty() {
            return Err("an ordering key is empty; write e.g. `-created_at,last_name`".to_owned());
        }
        let Some(field) = schema.field(name) else {
            return Err(format!(
                "unknown field `{}`; order by any of: {}",
                shown(name),
                orderable()
            ));
        };
        if !field.orderable {
            return Err(format!(
                "`{name}` cannot be ordered by; order by any of: {}",
                orderable()
            ));
        }
        keys.push(OrderKey { field, descending });
    }
    Ok(keys)
}

/// The first field `keys` orders by twice (`name,-name`): each key is an allowed value, so the
/// document cannot say it; the query cannot be honoured.
fn repeated_key(keys: &[OrderKey]) -> Option<&'static str> {
    keys.iter().enumerate().find_map(|(index, key)| {
        keys[..index]
            .iter()
            .any(|earlier| earlier.field.name == key.field.name)
            .then_some(key.field.name)
    })
}
