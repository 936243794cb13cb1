//! Reads: by id, by natural key, a page (plus one statement for its departments), a count.

use std::collections::HashMap;

use campushub_core::{DepartmentSummary, Entity, Error, ListQuery, ReadOptions, Result};
use uuid::Uuid;

use super::SqlRepository;
use crate::analytics::count;
use crate::backend::Backend;
use crate::sql::{push_conditions, push_order_and_limit, SqlBuilder};
use crate::table::{SqlEntity, DEPARTMENTS_TABLE};
use crate::value::{ColType, SqlValue};

/// Ids or keys per statement for "many" reads (keeps SQLite under its bind limit).
pub(super) const CHUNK: usize = 5_000;

impl<E: SqlEntity, B: Backend> SqlRepository<E, B> {
    /// Records among `ids`, department summaries joined (one statement per 5,000 ids).
    pub(super) async fn fetch_by_ids(&self, ids: &[Uuid], read: &ReadOptions) -> Result<Vec<E>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut b = self.table.select(true);
            b.push(" WHERE ").in_uuids("t", "id", chunk);
            let statement = self.table.finish_select(b, true);
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
            let mut b = self.table.select(true);
            b.push(" WHERE ").in_texts("t", key, chunk);
            let statement = self.table.finish_select(b, true);
            let rows = self.backend.fetch(statement, read).await?;
            found.extend(self.table.decode(rows, true)?);
        }
        Ok(found)
    }

    /// One page: one statement for the rows, one for their departments.
    pub(super) async fn fetch_page(&self, query: &ListQuery, read: &ReadOptions) -> Result<Vec<E>> {
        let mut b = self.table.select(false);
        push_conditions(&mut b, &self.table, query, true)?;
        push_order_and_limit(&mut b, query);
        let statement = self.table.finish_select(b, false);
        let rows = self.backend.fetch(statement, read).await?;
        let mut page = self.table.decode(rows, false)?;
        if self.table.joins() {
            self.attach_departments(&mut page, read).await?;
        }
        Ok(page)
    }

    /// Fills in the department summaries of a page with one statement.
    async fn attach_departments(&self, page: &mut [E], read: &ReadOptions) -> Result<()> {
        let mut ids: Vec<Uuid> = page.iter().filter_map(Entity::department_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(());
        }
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT t.\"id\", t.\"code\", t.\"name\" FROM ")
            .ident(DEPARTMENTS_TABLE);
        b.push(" t WHERE ").in_uuids("t", "id", &ids);
        let statement = b.finish(vec![ColType::Uuid, ColType::Text, ColType::Text]);
        let rows = self.backend.fetch(statement, read).await?;
        let mut summaries = HashMap::with_capacity(rows.len());
        for row in rows {
            if let [SqlValue::Uuid(Some(id)), SqlValue::Text(Some(code)), SqlValue::Text(Some(name))] =
                &row[..]
            {
                summaries.insert(
                    *id,
                    DepartmentSummary {
                        id: *id,
                        code: code.clone(),
                        name: name.clone(),
                    },
                );
            }
        }
        for entity in page {
            let summary = entity
                .department_id()
                .and_then(|id| summaries.get(&id).cloned());
            entity.set_department(summary);
        }
        Ok(())
    }

    /// Rows matching the query's filters and search.
    pub(super) async fn fetch_count(&self, query: &ListQuery, read: &ReadOptions) -> Result<u64> {
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT count(*) FROM ")
            .ident(self.table.table)
            .push(" t");
        push_conditions(&mut b, &self.table, query, false)?;
        let rows = self
            .backend
            .fetch(b.finish(vec![ColType::Int]), read)
            .await?;
        count(rows.first().and_then(|r| r.first()))
    }
}
