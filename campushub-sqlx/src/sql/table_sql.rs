//! The statements of one table, generated once from its [`SqlEntity`] description.

use std::marker::PhantomData;
use std::sync::OnceLock;

use uuid::Uuid;

use super::join::Join;
use super::SqlBuilder;
use crate::backend::{Dialect, Statement};
use crate::error::{Error, Result};
use crate::row::SqlRow;
use crate::table::{Column, SqlEntity, META_COLUMNS};
use crate::value::{ColType, SqlValue};

/// One table's columns and statement shapes.
#[derive(Debug)]
pub(crate) struct TableSql<E> {
    pub(crate) dialect: Dialect,
    pub(crate) table: &'static str,
    pub(crate) columns: Vec<Column>,
    names: Vec<&'static str>,
    /// The relations whose summaries reads embed, or why they do not resolve.
    joins: std::result::Result<Vec<Join>, String>,
    /// [`Self::select_by_id`]'s statement without its argument, built on first use: a
    /// retrieve is the commonest read, and its text never changes.
    by_id: OnceLock<Statement>,
    entity: PhantomData<fn() -> E>,
}

impl<E: SqlEntity> TableSql<E> {
    pub(crate) fn new(dialect: Dialect) -> Self {
        let columns: Vec<Column> = META_COLUMNS.iter().chain(E::columns()).copied().collect();
        let names: Vec<&'static str> = columns.iter().map(|c| c.name).collect();
        TableSql {
            dialect,
            table: E::TABLE,
            columns,
            names,
            joins: Join::resolve::<E>(),
            by_id: OnceLock::new(),
            entity: PhantomData,
        }
    }

    /// The column backing schema field (or column) `name`.
    pub(crate) fn column(&self, name: &str) -> Result<&Column> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            Error::Unsupported(format!("`{name}` has no column in `{}`", self.table))
        })
    }

    /// The embedding relations of this table (a misdeclared one is a configuration error,
    /// reported by every read).
    pub(crate) fn joins(&self) -> Result<&[Join]> {
        self.joins
            .as_deref()
            .map_err(|message| Error::Config(message.clone()))
    }

    /// The relations a select joins: all of them if `join`, else none.
    fn joined(&self, join: bool) -> Result<&[Join]> {
        if join {
            self.joins()
        } else {
            Ok(&[])
        }
    }

    /// A builder holding `SELECT t.cols [, r0.id, r0.cols ...] FROM table t [LEFT JOIN ...]`,
    /// joining the embedding relations if `join`.
    pub(crate) fn select(&self, join: bool) -> Result<SqlBuilder> {
        let joins = self.joined(join)?;
        let mut b = SqlBuilder::new(self.dialect);
        b.push("SELECT ");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.column("t", column.name);
        }
        for relation in joins {
            relation.push_columns(&mut b);
        }
        b.push(" FROM ").ident(self.table).push(" t");
        for relation in joins {
            relation.push_join(&mut b);
        }
        Ok(b)
    }

    /// Finishes a select made by [`Self::select`].
    pub(crate) fn finish_select(&self, b: SqlBuilder, join: bool) -> Result<Statement> {
        let mut types: Vec<ColType> = self.columns.iter().map(|c| c.ty).collect();
        for relation in self.joined(join)? {
            types.extend_from_slice(relation.types());
        }
        Ok(b.finish(types))
    }

    /// `SELECT ... WHERE t."id" = $1` with the embedded summaries joined, `id` bound: the
    /// statement of one retrieve, its text built once per table.
    pub(crate) fn select_by_id(&self, id: Uuid) -> Result<Statement> {
        if let Some(template) = self.by_id.get() {
            let mut statement = template.clone();
            statement.args.push(id.into());
            return Ok(statement);
        }
        let mut b = self.select(true)?;
        b.push(" WHERE ").eq_or_in_uuids("t", "id", &[id]);
        let statement = self.finish_select(b, true)?;
        let mut template = statement.clone();
        template.args.clear();
        // Another caller may have set it meanwhile: the same text either way.
        let _ = self.by_id.set(template);
        Ok(statement)
    }

    /// Decodes rows of a select made by [`Self::select`], attaching joined summaries.
    pub(crate) fn decode(&self, rows: Vec<Vec<SqlValue>>, join: bool) -> Result<Vec<E>> {
        let joins = self.joined(join)?;
        rows.into_iter()
            .map(|mut values| {
                let joined = values.split_off(self.columns.len().min(values.len()));
                let mut entity = E::from_row(&SqlRow::new(&self.names, values))?;
                let mut joined = joined.into_iter();
                for relation in joins {
                    let width = relation.types().len();
                    relation.attach_joined(&mut entity, joined.by_ref().take(width));
                }
                Ok(entity)
            })
            .collect()
    }

    /// The values of `entity` for every column, checked against the description.
    pub(crate) fn row_values(&self, entity: &E) -> Result<Vec<SqlValue>> {
        let meta = entity.meta();
        let mut values: Vec<SqlValue> = vec![
            meta.id.into(),
            meta.created_at.into(),
            meta.updated_at.into(),
            meta.version.into(),
        ];
        values.extend(entity.values());
        let fits = values.len() == self.columns.len()
            && values
                .iter()
                .zip(&self.columns)
                .all(|(v, c)| v.col_type() == Some(c.ty));
        if fits {
            Ok(values)
        } else {
            Err(Error::Config(format!(
                "`{}`: SqlEntity::values does not match SqlEntity::columns",
                self.table
            )))
        }
    }

    /// `INSERT INTO table (cols) VALUES (...), (...)`, or on Postgres for several rows
    /// `INSERT INTO table (cols) SELECT * FROM UNNEST($1, $2, ...)` with one array per column.
    pub(crate) fn insert(&self, rows: Vec<Vec<SqlValue>>) -> Statement {
        let mut b = SqlBuilder::new(self.dialect);
        b.push("INSERT INTO ").ident(self.table).push(" (");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(column.name);
        }
        if self.dialect == Dialect::Postgres && rows.len() > 1 {
            let types: Vec<ColType> = self.columns.iter().map(|c| c.ty).collect();
            b.push(") SELECT * FROM UNNEST").bind_columns(&types, rows);
            return b.finish(Vec::new());
        }
        b.push(") VALUES ");
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_tuple(row);
        }
        b.finish(Vec::new())
    }

    /// `UPDATE table SET ... WHERE id = ? AND version = ?` (the id and `created_at` stay).
    pub(crate) fn update(&self, values: Vec<SqlValue>, expected_version: i64) -> Statement {
        let mut b = SqlBuilder::new(self.dialect);
        b.push("UPDATE ").ident(self.table).push(" SET ");
        let mut id = SqlValue::Uuid(None);
        let mut first = true;
        for (column, value) in self.columns.iter().zip(values) {
            match column.name {
                "id" => id = value,
                "created_at" => {}
                name => {
                    if !first {
                        b.push(", ");
                    }
                    first = false;
                    b.ident(name).push(" = ").bind(value);
                }
            }
        }
        b.push(" WHERE \"id\" = ").bind(id);
        b.push(" AND \"version\" = ").bind(expected_version.into());
        b.finish(Vec::new())
    }

    /// `DELETE FROM table WHERE id = ? AND version = ?`.
    pub(crate) fn delete(&self, id: Uuid, expected_version: i64) -> Statement {
        let mut b = SqlBuilder::new(self.dialect);
        b.push("DELETE FROM ").ident(self.table);
        b.push(" WHERE \"id\" = ").bind(id.into());
        b.push(" AND \"version\" = ").bind(expected_version.into());
        b.finish(Vec::new())
    }

    /// `SELECT id, version FROM table WHERE id IN ids`.
    pub(crate) fn versions(&self, ids: &[Uuid]) -> Statement {
        let mut b = SqlBuilder::new(self.dialect);
        b.push("SELECT \"id\", \"version\" FROM ")
            .ident(self.table)
            .push(" t WHERE ");
        b.in_uuids("t", "id", ids);
        b.finish(vec![ColType::Uuid, ColType::Int])
    }
}
