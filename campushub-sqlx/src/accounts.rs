//! [`SqlAccounts`]: the accounts' secrets (`user_credentials`, `refresh_tokens`) on either
//! backend, as core's [`AccountStore`].
//!
//! The tables are apart from `users`, so no statement the user repository generates can read
//! a secret. A rotation runs in one transaction that first locks the presented token's row
//! (`FOR UPDATE` on Postgres; SQLite's `BEGIN IMMEDIATE` takes the one write lock), so of two
//! concurrent rotations of one token, the second sees the first's `used_at` and revokes the
//! family.

use async_trait::async_trait;
use campushub_core::accounts::{AccountStore, RefreshSession, Rotation, TokenHash};
use campushub_core::password::StoredHash;
use campushub_core::{AuditEntry, ReadOptions, ReadRoute, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::insert_entries;
use crate::backend::{Backend, Dialect, Statement};
use crate::sql::SqlBuilder;
use crate::value::{ColType, SqlValue};

/// The account secrets on backend `B` (migrations must have run, see [`crate::migrate`]).
#[derive(Debug, Clone)]
pub struct SqlAccounts<B> {
    backend: B,
}

impl<B: Backend> SqlAccounts<B> {
    /// The secrets on `backend`.
    pub fn new(backend: B) -> Self {
        SqlAccounts { backend }
    }

    /// A statement: `parts` of SQL text, with `args[i]` bound between `parts[i]` and
    /// `parts[i + 1]`.
    fn statement(&self, parts: &[&str], args: Vec<SqlValue>, returns: Vec<ColType>) -> Statement {
        let mut builder = SqlBuilder::new(self.backend.dialect());
        let mut args = args.into_iter();
        for (n, part) in parts.iter().enumerate() {
            if n > 0 {
                if let Some(arg) = args.next() {
                    builder.bind(arg);
                }
            }
            builder.push(part);
        }
        builder.finish(returns)
    }

    async fn write(&self, statements: Vec<Statement>) -> Result<()> {
        self.backend.write(statements).await?;
        Ok(())
    }

    fn revoke_where(&self, column: &str, id: Uuid, now: DateTime<Utc>) -> Statement {
        let condition = format!(" WHERE {column} = ");
        self.statement(
            &[
                "UPDATE refresh_tokens SET revoked_at = ",
                &condition,
                " AND revoked_at IS NULL",
            ],
            vec![now.into(), id.into()],
            Vec::new(),
        )
    }
}

/// The text of a one-column row, if any.
fn first_text(rows: Vec<Vec<SqlValue>>) -> Option<String> {
    match rows.into_iter().next()?.into_iter().next()? {
        SqlValue::Text(text) => text,
        _ => None,
    }
}

/// A stored token's `(family, user, expires_at, used_at, revoked_at)`.
type TokenRow = (
    Uuid,
    Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn token_row(row: Vec<SqlValue>) -> Option<TokenRow> {
    let mut values = row.into_iter();
    match (
        values.next()?,
        values.next()?,
        values.next()?,
        values.next()?,
        values.next()?,
    ) {
        (
            SqlValue::Uuid(Some(family)),
            SqlValue::Uuid(Some(user)),
            SqlValue::DateTime(Some(expires)),
            SqlValue::DateTime(used),
            SqlValue::DateTime(revoked),
        ) => Some((family, user, expires, used, revoked)),
        _ => None,
    }
}

const TOKEN_COLUMNS: [ColType; 5] = [
    ColType::Uuid,
    ColType::Uuid,
    ColType::DateTime,
    ColType::DateTime,
    ColType::DateTime,
];

#[async_trait]
impl<B: Backend> AccountStore for SqlAccounts<B> {
    async fn password_hash(&self, user_id: Uuid) -> Result<Option<StoredHash>> {
        let statement = self.statement(
            &[
                "SELECT password_hash FROM user_credentials WHERE user_id = ",
                "",
            ],
            vec![user_id.into()],
            vec![ColType::Text],
        );
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let rows = self.backend.fetch(statement, &primary).await?;
        Ok(first_text(rows).map(StoredHash::new))
    }

    async fn set_password_hash(
        &self,
        user_id: Uuid,
        hash: &StoredHash,
        entry: Option<&AuditEntry>,
    ) -> Result<()> {
        let statement = self.statement(
            &[
                "INSERT INTO user_credentials (user_id, password_hash, updated_at) VALUES (",
                ", ",
                ", ",
                ") ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, \
                 updated_at = excluded.updated_at",
            ],
            vec![
                user_id.into(),
                hash.as_str().to_owned().into(),
                campushub_core::meta::now_micros().into(),
            ],
            Vec::new(),
        );
        let mut statements = vec![statement];
        statements.extend(insert_entries(self.backend.dialect(), entry));
        self.write(statements).await
    }

    async fn store_refresh(&self, session: &RefreshSession) -> Result<()> {
        let purge = self.statement(
            &[
                "DELETE FROM refresh_tokens WHERE user_id = ",
                " AND expires_at < ",
                "",
            ],
            vec![session.user_id.into(), session.issued_at.into()],
            Vec::new(),
        );
        let insert = self.insert(session);
        self.write(vec![purge, insert]).await
    }

    async fn rotate_refresh(
        &self,
        presented: &TokenHash,
        next: &RefreshSession,
        now: DateTime<Utc>,
    ) -> Result<Rotation> {
        let lock = match self.backend.dialect() {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        };
        let select = self.statement(
            &[
                "SELECT family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens \
                 WHERE token_hash = ",
                lock,
            ],
            vec![presented.as_str().to_owned().into()],
            TOKEN_COLUMNS.to_vec(),
        );
        let mut tx = self.backend.begin(None).await?;
        let found = tx
            .run(select)
            .await?
            .rows
            .into_iter()
            .next()
            .and_then(token_row);
        let Some((family, user_id, expires_at, used_at, revoked_at)) = found else {
            tx.rollback().await?;
            return Ok(Rotation::Refused);
        };
        if revoked_at.is_some() || expires_at <= now {
            tx.rollback().await?;
            return Ok(Rotation::Refused);
        }
        let mark = self.statement(
            &[
                "UPDATE refresh_tokens SET used_at = ",
                " WHERE token_hash = ",
                " AND used_at IS NULL",
            ],
            vec![now.into(), presented.as_str().to_owned().into()],
            Vec::new(),
        );
        let marked = used_at.is_none() && tx.run(mark).await?.rows_affected == 1;
        if !marked {
            tx.run(self.revoke_where("family_id", family, now)).await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { user_id, family });
        }
        let next = RefreshSession {
            family,
            user_id,
            ..next.clone()
        };
        tx.run(self.insert(&next)).await?;
        tx.commit().await?;
        Ok(Rotation::Rotated { user_id, family })
    }

    async fn family_of(&self, token: &TokenHash) -> Result<Option<(Uuid, Uuid)>> {
        let statement = self.statement(
            &[
                "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = ",
                "",
            ],
            vec![token.as_str().to_owned().into()],
            vec![ColType::Uuid, ColType::Uuid],
        );
        let primary = ReadOptions::default().on(ReadRoute::Primary);
        let rows = self.backend.fetch(statement, &primary).await?;
        let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
        Ok(match (row.next(), row.next()) {
            (Some(SqlValue::Uuid(Some(user))), Some(SqlValue::Uuid(Some(family)))) => {
                Some((user, family))
            }
            _ => None,
        })
    }

    async fn revoke_family(&self, family: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.write(vec![self.revoke_where("family_id", family, now)])
            .await
    }

    async fn revoke_user(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.write(vec![self.revoke_where("user_id", user_id, now)])
            .await
    }
}

impl<B: Backend> SqlAccounts<B> {
    fn insert(&self, session: &RefreshSession) -> Statement {
        self.statement(
            &[
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
                 VALUES (",
                ", ",
                ", ",
                ", ",
                ", ",
                ")",
            ],
            vec![
                session.token.as_str().to_owned().into(),
                session.family.into(),
                session.user_id.into(),
                session.issued_at.into(),
                session.expires_at.into(),
            ],
            Vec::new(),
        )
    }
}
