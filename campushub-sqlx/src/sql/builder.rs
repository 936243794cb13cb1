//! A statement under construction: SQL text plus its bound values, with placeholders in the
//! backend's dialect.

use std::fmt::Write;

use crate::backend::{Dialect, Statement};
use crate::value::{ColType, SqlValue};

/// SQL text and arguments built together, so a value is never spliced into the text.
#[derive(Debug)]
pub(crate) struct SqlBuilder {
    pub(crate) dialect: Dialect,
    sql: String,
    args: Vec<SqlValue>,
}

impl SqlBuilder {
    pub(crate) fn new(dialect: Dialect) -> Self {
        SqlBuilder {
            dialect,
            sql: String::with_capacity(256),
            args: Vec::new(),
        }
    }

    /// A builder holding `prefix`, then `statement`'s text and arguments: what follows binds
    /// after them (a statement wrapped in a larger one).
    pub(crate) fn around(dialect: Dialect, prefix: &str, statement: Statement) -> Self {
        let mut sql = String::with_capacity(prefix.len() + statement.sql.len() + 256);
        sql.push_str(prefix);
        sql.push_str(&statement.sql);
        SqlBuilder {
            dialect,
            sql,
            args: statement.args,
        }
    }

    /// Appends SQL text (only ever static text or quoted identifiers from a description).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends `alias."name"` (or `"name"` when `alias` is empty).
    pub(crate) fn column(&mut self, alias: &str, name: &str) -> &mut Self {
        if !alias.is_empty() {
            self.sql.push_str(alias);
            self.sql.push('.');
        }
        self.ident(name)
    }

    /// Appends a quoted identifier.
    pub(crate) fn ident(&mut self, name: &str) -> &mut Self {
        self.sql.push('"');
        // Names never contain a quote in practice: escaping only when one does saves an
        // allocation per column of every statement (a select lists thirty of them).
        if name.contains('"') {
            self.sql.push_str(&name.replace('"', "\"\""));
        } else {
            self.sql.push_str(name);
        }
        self.sql.push('"');
        self
    }

    /// Binds `value` and appends its placeholder.
    pub(crate) fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.args.push(value);
        match self.dialect {
            Dialect::Postgres => {
                // Writing to a `String` cannot fail.
                let _ = write!(self.sql, "${}", self.args.len());
            }
            Dialect::Sqlite => self.sql.push('?'),
        }
        self
    }

    /// Binds every value as `(p1, p2, ...)`.
    pub(crate) fn bind_tuple(&mut self, values: impl IntoIterator<Item = SqlValue>) -> &mut Self {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }

    /// Binds `rows` column by column, one typed array per column of `types`, as
    /// `($1, $2, ...)`: the argument list of a Postgres `UNNEST`, which takes a batch of any
    /// size in as many parameters as it has columns (a multi-row `VALUES` takes one per cell,
    /// and Postgres parses and plans each).
    pub(crate) fn bind_columns(
        &mut self,
        types: &[ColType],
        rows: impl IntoIterator<Item = Vec<SqlValue>>,
    ) -> &mut Self {
        let mut columns: Vec<Vec<SqlValue>> = types.iter().map(|_| Vec::new()).collect();
        for row in rows {
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
        let arrays = types
            .iter()
            .zip(columns)
            .map(|(ty, values)| SqlValue::Array(*ty, values));
        self.bind_tuple(arrays)
    }

    /// Appends a membership test of `alias."column"` against `ids`: `= ANY($1)` on Postgres,
    /// `IN (?, ...)` on SQLite.
    pub(crate) fn in_uuids(&mut self, alias: &str, column: &str, ids: &[uuid::Uuid]) -> &mut Self {
        self.column(alias, column);
        match self.dialect {
            Dialect::Postgres => self
                .push(" = ANY(")
                .bind(SqlValue::UuidList(ids.to_vec()))
                .push(")"),
            Dialect::Sqlite if ids.is_empty() => self.push(" IN (NULL)"),
            Dialect::Sqlite => self
                .push(" IN ")
                .bind_tuple(ids.iter().map(|id| SqlValue::Uuid(Some(*id)))),
        }
    }

    /// Appends `alias."column" = $1` for one id, else [`Self::in_uuids`].
    ///
    /// Postgres estimates an array parameter at ten elements, so for one id the generic plan
    /// of `= ANY($1)` never looks cheaper than a custom one and every execution of the
    /// prepared statement is planned again; `= $1` gets a cached generic plan after five
    /// executions (see docs/performance.md).
    pub(crate) fn eq_or_in_uuids(
        &mut self,
        alias: &str,
        column: &str,
        ids: &[uuid::Uuid],
    ) -> &mut Self {
        match ids {
            [id] => self
                .column(alias, column)
                .push(" = ")
                .bind(SqlValue::Uuid(Some(*id))),
            _ => self.in_uuids(alias, column, ids),
        }
    }

    /// Appends a membership test of `alias."column"` against texts (see [`Self::in_uuids`]).
    pub(crate) fn in_texts(&mut self, alias: &str, column: &str, texts: &[String]) -> &mut Self {
        self.column(alias, column);
        match self.dialect {
            Dialect::Postgres => self
                .push(" = ANY(")
                .bind(SqlValue::TextList(texts.to_vec()))
                .push(")"),
            Dialect::Sqlite if texts.is_empty() => self.push(" IN (NULL)"),
            Dialect::Sqlite => self
                .push(" IN ")
                .bind_tuple(texts.iter().map(|t| SqlValue::Text(Some(t.clone())))),
        }
    }

    /// The finished statement, returning columns of `returns`.
    pub(crate) fn finish(self, returns: Vec<ColType>) -> Statement {
        Statement {
            sql: self.sql.into(),
            args: self.args,
            returns,
        }
    }
}

/// `text` with `\`, `%` and `_` escaped for `LIKE ... ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut pg = SqlBuilder::new(Dialect::Postgres);
        pg.push("a = ")
            .bind(1i64.into())
            .push(" AND b IN ")
            .bind_tuple([2i64.into(), 3i64.into()]);
        assert_eq!(&*pg.finish(vec![]).sql, "a = $1 AND b IN ($2, $3)");
        let mut lite = SqlBuilder::new(Dialect::Sqlite);
        lite.push("a = ").bind(1i64.into());
        assert_eq!(&*lite.finish(vec![]).sql, "a = ?");
    }

    #[test]
    fn identifiers_are_quoted_and_their_quotes_doubled() {
        let mut b = SqlBuilder::new(Dialect::Postgres);
        b.column("t", "plain").push(", ").column("", r#"odd"name"#);
        assert_eq!(&*b.finish(vec![]).sql, r#"t."plain", "odd""name""#);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
