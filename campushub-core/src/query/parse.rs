//! Parsing raw `key=value` parameters into a [`ListQuery`].

use super::{ListQuery, Pagination, DEFAULT_PAGE_SIZE};
use crate::custom_fields::CustomFieldDef;
use crate::error::Result;
use crate::query::CursorCodec;
use crate::schema::Schema;

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
    /// value, bad ordering, tampered or mismatched cursor and out-of-range page is a
    /// [`crate::Error::Validation`] naming the parameter.
    pub fn parse<'a>(
        schema: &Schema,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        definitions: &[CustomFieldDef],
        cursors: &CursorCodec,
    ) -> Result<ListQuery> {
        let _ = (schema, params.into_iter().count(), definitions, cursors);
        unimplemented!("ListQuery::parse")
    }

    /// Parses filter and search parameters only (statistics): pagination and ordering
    /// parameters are rejected by name.
    pub fn parse_filters<'a>(
        schema: &Schema,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        definitions: &[CustomFieldDef],
    ) -> Result<ListQuery> {
        let _ = (schema, params.into_iter().count(), definitions);
        unimplemented!("ListQuery::parse_filters")
    }

    /// Rows a store should fetch: one more than the page for keyset pages (to learn whether a
    /// next page exists), the page itself for page-number pages.
    pub fn limit(&self) -> u32 {
        match self.pagination {
            Pagination::Cursor(_) => self.page_size + 1,
            Pagination::Number(_) => self.page_size,
        }
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

    /// A canonical text for the query (filters, search, ordering, page), equal for equal
    /// queries whatever the parameter order: the cache key of a result page.
    pub fn fingerprint(&self) -> String {
        unimplemented!("ListQuery::fingerprint")
    }
}
