//! Reads: by id, by natural key, a page (plus one statement per embedding relation), a count.

use campushub_core::{Error, ListQuery, ReadOptions, Result};
use uuid::Uuid;

use super::SqlRepository;
use crate::analytics::count;
use crate::backend::Backend;
use crate::sql::{page_statement, push_conditions, SqlBuilder};
use crate::table::SqlEntity;
use crate::value::ColType;

/// Ids or keys per statement for "many" reads (keeps SQLite under its bind limit).
pub(super) const CHUNK: usize = 5_000;

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Records among `ids`, embedded summaries joined (one statement per 5,000 ids); one id
    /// is compared with `=` rather than `= ANY($1)` so that Postgres keeps a generic plan
    /// ([`SqlBuilder::eq_or_in_uuids`]).
    pub(super) async fn fetch_by_ids(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        if let [id] = ids {
            let statement = self.table.select_by_id(*id)?;
            let rows = self.backend.fetch(statement, read).await?;
            return Ok(self.table.decode(rows, true)?);
        }
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut b = self.table.select(true)?;
            b.push(" WHERE ").eq_or_in_uuids("t", "id", chunk);
            let statement = self.table.finish_select(b, true)?;
            let rows = self.backend.fetch(statement, read).await?;
            found.extend(self.table.decode(rows, true)?);
        }
        Ok(found)
    }

    /// Records whose natural key is among `keys`.
    pub(super) async fn fetch_by_keys(
        &self,
        keys: &[String],
        read: &ReadOptions,
    ) -> Result<Vec<E>> {
        let Some(key) = E::schema().natural_key else {
            return Err(Error::invalid(
                "key",
                format!("{} has no natural key", E::KIND),
            ));
        };
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let mut b = self.table.select(true)?;
            b.push(" WHERE ").in_texts("t", key, chunk);
            let statement = self.table.finish_select(b, true)?;
            let rows = self.backend.fetch(statement, read).await?;
            found.extend(self.table.decode(rows, true)?);
        }
        Ok(found)
    }

    /// One page: one statement for the rows (a deep page-number page through a deferred
    /// join, see [`crate::DeferredJoin`]), then one per embedding relation for the summaries
    /// the page references (none when the page references nothing).
    pub(super) async fn fetch_page(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        let deferred = self.deferred_join.applies(self.backend.dialect(), query);
        let statement = page_statement(&self.table, query, deferred)?;
        let rows = self.backend.fetch(statement, read).await?;
        let mut page = self.table.decode(rows, false)?;
        for relation in self.table.joins()? {
            let ids = relation.referenced_ids(&page);
            if ids.is_empty() {
                continue;
            }
            let statement = relation.lookup(self.backend.dialect(), &ids);
            let rows = self.backend.fetch(statement, read).await?;
            relation.attach_looked_up(&mut page, rows);
        }
        Ok(page)
    }

    /// Rows matching the query's filters and search: `SELECT count(*) FROM t WHERE ...`, or
    /// with `at_most` counted no further than it,
    /// `SELECT count(*) FROM (SELECT 1 FROM t WHERE ... LIMIT $n) c`, which reads at most
    /// `at_most` index entries or rows whatever the table's size.
    pub(super) async fn fetch_count(
        &self,
        query: &ListQuery,
        at_most: Option<u64>,
        read: &ReadOptions,
    ) -> Result<u64> {
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push(match at_most {
            Some(_) => "SELECT count(*) FROM (SELECT 1 FROM ",
            None => "SELECT count(*) FROM ",
        })
        .ident(self.table.table)
        .push(" t");
        push_conditions(&mut b, &self.table, query, false)?;
        if let Some(at_most) = at_most {
            let limit = i64::try_from(at_most).unwrap_or(i64::MAX);
            b.push(" LIMIT ").bind(limit.into()).push(") c");
        }
        let rows = self
            .backend
            .fetch(b.finish(vec![ColType::Int]), read)
            .await?;
        count(rows.first().and_then(|r| r.first()))
    }
}
