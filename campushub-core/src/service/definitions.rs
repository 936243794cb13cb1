//! The custom-field definitions that apply to the service's kind: read when a write needs them
//! (on the primary, so a definition just created applies at once) and when a list filters on
//! `cf.` parameters.

use super::EntityService;
use crate::custom_fields::CustomFieldDef;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{Filter, FilterField, FilterValue, ListQuery, Op, Pagination, MAX_PAGE_SIZE};
use crate::repository::{ReadOptions, Repository};
use crate::value::Scalar;

/// Pages of definitions read at most; a kind with more definitions than this many full pages
/// is an internal error rather than an endless walk.
const MAX_DEFINITION_PAGES: u32 = 50;

impl<E: Entity> EntityService<E> {
    /// The definitions a list or statistics query over this kind needs, for parsing `cf.`
    /// filters: read only when some parameter is a custom-field filter (`cf.…`), so a plain
    /// query costs no extra statement. Empty without a definitions repository.
    pub async fn query_definitions(
        &self,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Vec<CustomFieldDef>> {
        if params
            .iter()
            .any(|(key, _)| key.starts_with(crate::query::CUSTOM_PREFIX))
        {
            self.definitions(read).await
        } else {
            Ok(Vec::new())
        }
    }

    /// Every custom-field definition (active or not) of this kind, read with `read`: the
    /// columns an export writes and an import reads. Empty when the kind has no custom
    /// fields.
    ///
    /// # Errors
    /// Store failures as they come.
    pub async fn custom_field_definitions(
        &self,
        read: &ReadOptions,
    ) -> Result<Vec<CustomFieldDef>> {
        self.definitions(read).await
    }

    /// Every definition (active or not) for this kind, read with `read`; empty when the kind
    /// has no custom fields or the service has no definitions repository.
    pub(super) async fn definitions(&self, read: &ReadOptions) -> Result<Vec<CustomFieldDef>> {
        let Some(repository) = &self.inner.definitions else {
            return Ok(Vec::new());
        };
        if !E::schema().has_custom_fields() {
            return Ok(Vec::new());
        }
        let mut query = definitions_query();
        query.filters.push(kind_filter(E::KIND.as_str())?);
        read_all(repository.as_ref(), query, read).await
    }
}

impl EntityService<CustomFieldDef> {
    /// Every definition of every kind, active or not, read with `read`, without an
    /// authorization check: the definitions in force shape the API (its `cf.` filters), which
    /// the OpenAPI document describes to every caller.
    pub async fn all_definitions(&self, read: &ReadOptions) -> Result<Vec<CustomFieldDef>> {
        read_all(self.inner.repository.as_ref(), definitions_query(), read).await
    }
}

/// Every row `query` finds, page after page.
async fn read_all(
    repository: &dyn Repository<CustomFieldDef>,
    mut query: ListQuery,
    read: &ReadOptions,
) -> Result<Vec<CustomFieldDef>> {
    let mut definitions = Vec::new();
    for page in 1..=MAX_DEFINITION_PAGES {
        query.pagination = Pagination::Number(page);
        let rows = repository.list(&query, read).await?;
        let full = rows.len() >= query.page_size as usize;
        definitions.extend(rows);
        if !full {
            return Ok(definitions);
        }
    }
    Err(Error::Internal {
        message: format!(
            "more than {} custom-field definitions",
            MAX_DEFINITION_PAGES * MAX_PAGE_SIZE
        ),
        source: None,
    })
}

/// Every definition, in the largest pages a store serves.
fn definitions_query() -> ListQuery {
    let mut query = ListQuery::new(CustomFieldDef::schema());
    query.page_size = MAX_PAGE_SIZE;
    query
}

/// Only the definitions whose `entity` is `kind`.
fn kind_filter(kind: &str) -> Result<Filter> {
    let schema = CustomFieldDef::schema();
    let entity = schema.field("entity").ok_or_else(|| Error::Internal {
        message: "the custom-field schema has no `entity` field".to_owned(),
        source: None,
    })?;
    Ok(Filter {
        field: FilterField::Schema(entity),
        op: Op::Eq,
        value: FilterValue::One(Scalar::Text(kind.to_owned())),
    })
}
