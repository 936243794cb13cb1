//! The audit log on either backend: the statements that store entries in a write's own
//! transaction, and [`SqlAuditLog`], which reads them as core's [`AuditLog`].
//!
//! A single write stores its entry only if the write touched its row. On Postgres the write
//! and the entry are one statement, the write as a data-modifying `WITH` whose `RETURNING`
//! feeds the entry's `INSERT ... SELECT` (no extra round trip); on SQLite the entry's
//! `INSERT ... SELECT ... WHERE changes() > 0` follows the write in its transaction
//! (`changes()` counts the rows the previous statement changed, triggers' aside). Either way
//! a write that matched no row (a stale version) stores no entry, and one that fails rolls
//! its entry back with it. A batch stores the entries of the rows it commits, after they are
//! known, just before its commit (see `repo/bulk.rs`).

use async_trait::async_trait;
use campushub_core::audit_log::{AuditAction, AuditActor, AuditEntry, AuditFilter, AuditLog};
use campushub_core::{ReadOptions, ReadRoute, Result};

use crate::backend::{Backend, Dialect, Statement};
use crate::row::SqlRow;
use crate::sql::SqlBuilder;
use crate::value::{ColType, SqlValue};

/// The audit log's table (partitioned by month on Postgres).
const TABLE: &str = "campushub_audit_log";

/// The table's columns and their types, in the order [`values`] gives them.
const COLUMNS: [(&str, ColType); 13] = [
    ("id", ColType::Uuid),
    ("at", ColType::DateTime),
    ("kind", ColType::Text),
    ("record_id", ColType::Uuid),
    ("action", ColType::Text),
    ("version_before", ColType::Int),
    ("version_after", ColType::Int),
    ("actor", ColType::Text),
    ("actor_roles", ColType::Json),
    ("api_key", ColType::Text),
    ("request_id", ColType::Text),
    ("client_address", ColType::Text),
    ("changes", ColType::Json),
];

/// The column names of [`COLUMNS`].
const NAMES: [&str; 13] = {
    let mut names = [""; 13];
    let mut i = 0;
    while i < COLUMNS.len() {
        names[i] = COLUMNS[i].0;
        i += 1;
    }
    names
};

/// The types `entry`'s values are bound as, in [`COLUMNS`] order: the JSON columns' values
/// are bound as the text the entry serializes to (Postgres casts it, see [`pg_cast`]), one
/// serialization a row and no intermediate document.
const WRITE_TYPES: [ColType; 13] = {
    let mut types = [ColType::Text; 13];
    let mut i = 0;
    while i < COLUMNS.len() {
        types[i] = match COLUMNS[i].1 {
            ColType::Json => ColType::Text,
            ty => ty,
        };
        i += 1;
    }
    types
};

/// `entry`'s values, in [`COLUMNS`] order, typed as [`WRITE_TYPES`].
fn values(entry: &AuditEntry) -> Vec<SqlValue> {
    vec![
        entry.id.into(),
        SqlValue::DateTime(Some(entry.at)),
        SqlValue::Text(Some(entry.kind.clone())),
        entry.record_id.into(),
        SqlValue::Text(Some(entry.action.as_str().to_owned())),
        SqlValue::Int(entry.version_before),
        SqlValue::Int(entry.version_after),
        SqlValue::Text(Some(entry.actor.subject.clone())),
        SqlValue::Text(Some(json_text(&entry.actor.roles))),
        SqlValue::Text(entry.actor.api_key.clone()),
        SqlValue::Text(entry.request_id.clone()),
        SqlValue::Text(entry.client_address.clone()),
        SqlValue::Text(Some(json_text(&entry.changes))),
    ]
}

/// `value` as JSON text. Roles and changes are strings and plain maps of JSON values, which
/// always serialize; an empty document stands in should that ever change.
fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

/// Appends `INSERT INTO campushub_audit_log (columns) ` to `b`.
fn push_insert_into(b: &mut SqlBuilder) {
    b.push("INSERT INTO ").ident(TABLE).push(" (");
    for (i, (name, _)) in COLUMNS.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.ident(name);
    }
    b.push(") ");
}

/// `write` (one row's insert, update or delete) and the storing of `entry` when it touches
/// its row (see the module's documentation): one statement on Postgres, whose rows affected
/// are the entries stored (so, the rows written); two on SQLite.
pub(crate) fn audited(dialect: Dialect, write: Statement, entry: &AuditEntry) -> Vec<Statement> {
    match dialect {
        Dialect::Postgres => {
            let mut b = SqlBuilder::around(dialect, "WITH written AS (", write);
            b.push(" RETURNING 1) ");
            push_insert_into(&mut b);
            b.push("SELECT ");
            push_values(&mut b, entry);
            b.push(" FROM written");
            vec![b.finish(Vec::new())]
        }
        Dialect::Sqlite => {
            let mut b = SqlBuilder::new(dialect);
            push_insert_into(&mut b);
            b.push("SELECT ");
            push_values(&mut b, entry);
            b.push(" WHERE changes() > 0");
            vec![write, b.finish(Vec::new())]
        }
    }
}

/// Appends `entry`'s values as a comma-separated list of typed placeholders.
fn push_values(b: &mut SqlBuilder, entry: &AuditEntry) {
    for (i, (value, (_, ty))) in values(entry).into_iter().zip(COLUMNS).enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(value);
        // A bare placeholder in a select list has no type Postgres can infer.
        if b.dialect == Dialect::Postgres {
            b.push(pg_cast(ty));
        }
    }
}

/// The cast that gives a bare Postgres placeholder or `UNNEST` column the type of a
/// column of `ty` (JSON is bound as text, see [`WRITE_TYPES`]).
fn pg_cast(ty: ColType) -> &'static str {
    match ty {
        ColType::Uuid => "::uuid",
        ColType::DateTime => "::timestamptz",
        ColType::Int => "::bigint",
        ColType::Json => "::json",
        _ => "::text",
    }
}

/// Statements storing `entries` (a batch's committed rows): on Postgres one
/// `INSERT ... SELECT * FROM UNNEST(...)` of one array per column, on SQLite multi-row
/// `VALUES`, as many rows per statement as its bind limit allows.
pub(crate) fn insert_entries<'a>(
    dialect: Dialect,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Vec<Statement> {
    let entries: Vec<&AuditEntry> = entries.into_iter().collect();
    if entries.is_empty() {
        return Vec::new();
    }
    if dialect == Dialect::Postgres {
        let mut b = SqlBuilder::new(dialect);
        push_insert_into(&mut b);
        b.push("SELECT ");
        for (i, (name, ty)) in COLUMNS.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(name);
            if *ty == ColType::Json {
                b.push(pg_cast(*ty));
            }
        }
        b.push(" FROM UNNEST")
            .bind_columns(&WRITE_TYPES, entries.into_iter().map(values))
            .push(" AS u(");
        for (i, name) in NAMES.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(name);
        }
        b.push(")");
        return vec![b.finish(Vec::new())];
    }
    let per_statement = (dialect.max_binds() / COLUMNS.len()).max(1);
    entries
        .chunks(per_statement)
        .map(|chunk| {
            let mut b = SqlBuilder::new(dialect);
            push_insert_into(&mut b);
            b.push("VALUES ");
            for (i, entry) in chunk.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.bind_tuple(values(entry));
            }
            b.finish(Vec::new())
        })
        .collect()
}

/// The audit log of backend `B`, read on the primary (an auditor's read must see the write
/// it is asked about), newest first.
#[derive(Debug, Clone)]
pub struct SqlAuditLog<B> {
    backend: B,
}

impl<B: Backend> SqlAuditLog<B> {
    /// The log on `backend` (migrations must have run, see [`crate::migrate`]).
    pub fn new(backend: B) -> Self {
        SqlAuditLog { backend }
    }

    /// `SELECT columns FROM campushub_audit_log WHERE filter ORDER BY at DESC, id DESC LIMIT n`.
    fn select(&self, filter: &AuditFilter, limit: usize) -> Statement {
        let mut b = SqlBuilder::new(self.backend.dialect());
        b.push("SELECT ");
        for (i, (name, _)) in COLUMNS.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.ident(name);
        }
        b.push(" FROM ").ident(TABLE).push(" WHERE 1 = 1");
        if let Some(kind) = &filter.kind {
            b.push(" AND \"kind\" = ")
                .bind(SqlValue::Text(Some(kind.clone())));
        }
        if let Some(id) = filter.record_id {
            b.push(" AND \"record_id\" = ").bind(id.into());
        }
        if let Some(actor) = &filter.actor {
            b.push(" AND \"actor\" = ")
                .bind(SqlValue::Text(Some(actor.clone())));
        }
        if let Some(action) = filter.action {
            b.push(" AND \"action\" = ")
                .bind(SqlValue::Text(Some(action.as_str().to_owned())));
        }
        if let Some(since) = filter.since {
            b.push(" AND \"at\" >= ")
                .bind(SqlValue::DateTime(Some(since)));
        }
        if let Some(until) = filter.until {
            b.push(" AND \"at\" < ")
                .bind(SqlValue::DateTime(Some(until)));
        }
        if let Some(after) = filter.after {
            b.push(" AND (\"at\" < ")
                .bind(SqlValue::DateTime(Some(after.at)));
            b.push(" OR (\"at\" = ")
                .bind(SqlValue::DateTime(Some(after.at)));
            b.push(" AND \"id\" < ").bind(after.id.into()).push("))");
        }
        b.push(" ORDER BY \"at\" DESC, \"id\" DESC LIMIT ");
        b.bind(SqlValue::Int(Some(
            i64::try_from(limit).unwrap_or(i64::MAX),
        )));
        b.finish(COLUMNS.iter().map(|(_, ty)| *ty).collect())
    }
}

#[async_trait]
impl<B: Backend> AuditLog for SqlAuditLog<B> {
    async fn entries(&self, filter: &AuditFilter, limit: usize) -> Result<Vec<AuditEntry>> {
        let read = ReadOptions::default().on(ReadRoute::Primary);
        let rows = self
            .backend
            .fetch(self.select(filter, limit), &read)
            .await?;
        rows.into_iter()
            .map(|values| decode(&SqlRow::new(&NAMES, values)).map_err(Into::into))
            .collect()
    }
}

/// The entry of one row.
fn decode(row: &SqlRow<'_>) -> crate::Result<AuditEntry> {
    let action = row.text("action")?;
    let action = AuditAction::parse(&action).ok_or_else(|| crate::Error::Decode {
        column: "action".to_owned(),
        message: format!("`{action}` is not an audit action"),
    })?;
    Ok(AuditEntry {
        id: row.uuid("id")?,
        at: row.datetime("at")?,
        actor: AuditActor {
            subject: row.text("actor")?,
            roles: row.json_as("actor_roles")?,
            api_key: row.opt_text("api_key")?,
        },
        request_id: row.opt_text("request_id")?,
        client_address: row.opt_text("client_address")?,
        action,
        kind: row.text("kind")?,
        record_id: row.uuid("record_id")?,
        version_before: row.opt_int("version_before")?,
        version_after: row.opt_int("version_after")?,
        changes: row.json_as("changes")?,
    })
}
