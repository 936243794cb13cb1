//! The statements of one table, generated once from its [`SqlEntity`] description.

use std::marker::PhantomData;

use campushub_core::DepartmentSummary;
use uuid::Uuid;

use super::SqlBuilder;
use crate::backend::{Dialect, Statement};
use crate::error::{Result, SqlxError};
use crate::row::SqlRow;
use crate::table::{Column, SqlEntity, DEPARTMENTS_TABLE, META_COLUMNS};
use crate::value::{ColType, SqlValue};

/// Names of the department summary columns a joined select appends.
const DEPT_CODE: &str = "__department_code";
const DEPT_NAME: &str = "__department_name";

/// One table's columns and statement shapes.
#[derive(Debug)]
pub(crate) struct TableSql<E> {
    pub(crate) dialect: Dialect,
    pub(crate) table: &'static str,
    pub(crate) columns: Vec<Column>,
    names: Vec<&'static str>,
    joined_names: Vec<&'static str>,
    pub(crate) department: Option<&'static str>,
    entity: PhantomData<fn() -> E>,
}

impl<E: SqlEntity> TableSql<E> {
    pub(crate) fn new(dialect: Dialect) -> Self {
        let columns: Vec<Column> = META_COLUMNS.iter().chain(E::columns()).copied().collect();
        let names: Vec<&'static str> = columns.iter().map(|c| c.name).collect();
        let mut joined_names = names.clone();
        joined_names.extend([DEPT_CODE, DEPT_NAME]);
        TableSql {
            dialect,
            table: E::TABLE,
            columns,
            names,
            joined_names,
            department: E::DEPARTMENT_COLUMN,
            entity: PhantomData,
        }
    }

    /// The column backing schema field (or column) `name`.
    pub(crate) fn column(&self, name: &str) -> Result<&Column> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            SqlxError::Unsupported(format!("`{name}` has no column in `{}`", self.table))
        })
    }

    fn returns(&self, joined: bool) -> Vec<ColType> {
        let mut types: Vec<ColType> = self.columns.iter().map(|c| c.ty).collect();
        if joined {
            types.extend([ColType::Text, ColType::Text]);
        }
        types
    }

    /// Whether selects of this table join the department summary.
    pub(crate) fn joins(&self) -> bool {
        self.department.is_some()
    }

    /// A builder holding `SELECT t.cols [, d.code, d.name] FROM table t [LEFT JOIN ...]`.
    pub(crate) fn select(&self, join: bool) -> SqlBuilder {
        let mut b = SqlBuilder::new(self.dialect);
        b.push("SELECT ");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.column("t", column.name);
        }
        match self.department.filter(|_| join) {
            Some(department) => {
                b.push(", d.\"code\", d.\"name\" FROM ")
                    .ident(self.table)
                    .push(" t LEFT JOIN ")
                    .ident(DEPARTMENTS_TABLE)
                    .push(" d ON d.\"id\" = ")
                    .column("t", department);
            }
            None => {
                b.push(" FROM ").ident(self.table).push(" t");
            }
        }
        b
    }

    /// Finishes a select made by [`Self::select`].
    pub(crate) fn finish_select(&self, b: SqlBuilder, join: bool) -> Statement {
        b.finish(self.returns(join && self.joins()))
    }

    /// Decodes rows of a select made by [`Self::select`].
    pub(crate) fn decode(&self, rows: Vec<Vec<SqlValue>>, join: bool) -> Result<Vec<E>> {
        let joined = join && self.joins();
        let names = if joined {
            &self.joined_names
        } else {
            &self.names
        };
        rows.into_iter()
            .map(|values| {
                let row = SqlRow::new(names, values);
                let mut entity = E::from_row(&row)?;
                if joined {
                    let summary = match (
                        entity.department_id(),
                        row.opt_text(DEPT_CODE)?,
                        row.opt_text(DEPT_NAME)?,
                    ) {
                        (Some(id), Some(code), Some(name)) => {
                            Some(DepartmentSummary { id, code, name })
                        }
                        _ => None,
                    };
                    entity.set_department(summary);
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
            Err(SqlxError::Config(format!(
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
            let mut columns: Vec<Vec<SqlValue>> = self
                .columns
                .iter()
                .map(|_| Vec::with_capacity(rows.len()))
                .collect();
            for row in rows {
                for (column, value) in columns.iter_mut().zip(row) {
                    column.push(value);
                }
            }
            b.push(") SELECT * FROM UNNEST");
            let arrays = self
                .columns
                .iter()
                .zip(columns)
                .map(|(c, v)| SqlValue::Array(c.ty, v));
            b.bind_tuple(arrays);
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
