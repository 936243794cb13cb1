//! Every row a list query matches, one keyset page at a time, read from the repository past
//! the cache: what an export reads.
//!
//! A walk is the list route's query ([`EntityService::list_query`]: the same permission,
//! filters, search, ordering, row scope and hidden fields) walked forwards to its end. It
//! does not go through the cache: an export reads every row once, and caching its pages
//! would only fill the in-process cache with pages nobody asks for again (and grow the
//! process with the row count). Rows come as the list route's JSON objects, the hidden
//! fields removed.

use serde_json::{Map, Value};

use super::scoping::Hidden;
use super::EntityService;
use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{keyset_at, ListQuery, Pagination};
use crate::repository::ReadOptions;

/// Rows a walk reads per statement: large enough that the round trips cost little next to
/// the rows, small enough that a page stays a few megabytes.
pub const WALK_PAGE_ROWS: u32 = 1_000;

/// A walk over every row of one list query (see the module docs).
pub struct Walk<E: Entity> {
    service: EntityService<E>,
    query: ListQuery,
    read: ReadOptions,
    shape: WalkRows,
    done: bool,
}

impl<E: Entity> std::fmt::Debug for Walk<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk")
            .field("kind", &E::KIND)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> EntityService<E> {
    /// A walk over every row `principal` would list with `params`, in the list's order, read
    /// as `read` says. `params` must not choose a page (`page`, `cursor`, `page_size`): a walk
    /// reads them all, [`WALK_PAGE_ROWS`] at a time.
    ///
    /// # Errors
    /// What [`EntityService::list`] answers for the same parameters, before any row is read;
    /// [`Error::Validation`] for a page parameter.
    pub async fn walk(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Walk<E>> {
        if let Some((name, _)) = params
            .iter()
            .find(|(name, _)| matches!(name.as_str(), "page" | "cursor" | "page_size"))
        {
            return Err(Error::invalid(
                name,
                "a walk reads every matching row: it takes no page parameters",
            ));
        }
        let (mut query, hidden) = self.list_query(principal, params, read).await?;
        query.pagination = Pagination::Cursor(None);
        query.page_size = WALK_PAGE_ROWS;
        Ok(Walk {
            service: self.clone(),
            query,
            read: read.clone(),
            shape: WalkRows { hidden },
            done: false,
        })
    }
}

impl<E: Entity> Walk<E> {
    /// The next page of records, or `None` after the last.
    ///
    /// # Errors
    /// Store failures as they come.
    pub async fn next_records(&mut self) -> Result<Option<Vec<E>>> {
        if self.done {
            return Ok(None);
        }
        let repository = &self.service.inner.repository;
        let mut rows = repository.list(&self.query, &self.read).await?;
        let page_size = self.query.page_size as usize;
        if rows.len() > page_size {
            rows.truncate(page_size);
            let last = rows.last().ok_or_else(|| Error::Internal {
                message: "a walk's full page has no last row".to_owned(),
                source: None,
            })?;
            let position = keyset_at(&self.query, last, false).ok_or_else(|| Error::Internal {
                message: format!("a `{}` record lacks a field of its ordering", E::KIND),
                source: None,
            })?;
            self.query.pagination = Pagination::Cursor(Some(position));
        } else {
            self.done = true;
        }
        Ok((!rows.is_empty()).then_some(rows))
    }

    /// The next page of rows as the list route's JSON objects (hidden fields removed), or
    /// `None` after the last.
    ///
    /// # Errors
    /// Store failures as they come; a record that does not serialize.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Map<String, Value>>>> {
        match self.next_records().await? {
            Some(records) => self.shape.rows(&records).map(Some),
            None => Ok(None),
        }
    }

    /// How this walk's records become rows, for a caller that reads records on one task and
    /// turns them into rows on another.
    pub fn shape(&self) -> WalkRows {
        self.shape.clone()
    }
}

/// How a walk's records become the list route's JSON objects: serialized, the fields the
/// caller may not see removed ([`Walk::shape`]).
#[derive(Debug, Clone)]
pub struct WalkRows {
    hidden: Option<Hidden>,
}

impl WalkRows {
    /// `records` as rows, in order.
    ///
    /// # Errors
    /// [`Error::Internal`] for a record that does not serialize to a JSON object.
    pub fn rows<E: Entity>(&self, records: &[E]) -> Result<Vec<Map<String, Value>>> {
        let mut rows = Vec::with_capacity(records.len());
        for record in records {
            let mut value = serde_json::to_value(record)
                .map_err(|error| Error::internal("a record does not serialize", error))?;
            if let Some(hidden) = &self.hidden {
                hidden.strip(&mut value);
            }
            match value {
                Value::Object(row) => rows.push(row),
                _ => {
                    return Err(Error::Internal {
                        message: format!("a `{}` record is not a JSON object", E::KIND),
                        source: None,
                    })
                }
            }
        }
        Ok(rows)
    }
}
