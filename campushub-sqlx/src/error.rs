//! The crate's one error type and its conversion into [`campushub_core::Error`].

/// Result with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the SQL adapter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The driver failed: the database refused a statement or could not be reached. A
    /// connection-class failure converts to [`campushub_core::Error::Unavailable`]; check the
    /// URL and that the server is up.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration could not be applied. The database may be older than the crate's
    /// migrations or was changed by hand; inspect `_sqlx_migrations`.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A router or store was configured wrongly (a bad URL, no primary). Fix the configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A stored value could not be read back as its column type: the row was written by
    /// something else than this crate. Fix the row.
    #[error("unexpected value in column `{column}`: {message}")]
    Decode {
        /// The column read.
        column: String,
        /// What was wrong.
        message: String,
    },
    /// A query asked for something the table cannot answer (a custom-field filter on a kind
    /// without custom fields, an operator the field type has no SQL for).
    #[error("unsupported query: {0}")]
    Unsupported(String),
    /// A kind's table differs from its description in a way that needs a migration of its
    /// data (a column removed, renamed or retyped, or becoming `NOT NULL`): the migration
    /// runner names each change and applies nothing of the kind's step. Write a
    /// [`KindMigration`](crate::kinds::KindMigration) that makes the change (`migrate
    /// --print` and [`crate::ddl::create_table`] show what the description wants), or change
    /// the description back.
    #[error(
        "kind `{kind}` (table `{table}`) does not match its description: {}; write a migration for it",
        display_changes(changes)
    )]
    SchemaDrift {
        /// The kind.
        kind: String,
        /// Its table.
        table: String,
        /// The differences, each naming its column.
        changes: Vec<crate::schema_change::SchemaChange>,
    },
    /// A statement of a kind's migration failed (a new unique key the rows violate, a
    /// hand-written migration's error): nothing of the kind's step is kept. Fix the data or
    /// the migration.
    #[error("kind `{kind}`: migration statement failed: {source}\n{statement}")]
    KindStatement {
        /// The kind.
        kind: String,
        /// The statement (or hand-written migration) that failed.
        statement: String,
        /// The database's answer.
        source: sqlx::Error,
    },
}

/// The changes of [`Error::SchemaDrift`], one after the other.
fn display_changes(changes: &[crate::schema_change::SchemaChange]) -> String {
    let named: Vec<String> = changes.iter().map(ToString::to_string).collect();
    named.join("; ")
}

impl Error {
    /// True when the failure is about reaching the database (refused, reset, timed out, shut
    /// down), not about the statement: the same read may succeed on another server.
    pub fn is_connection(&self) -> bool {
        match self {
            Error::Database(error) => is_connection_error(error),
            _ => false,
        }
    }
}

impl Error {
    /// Whether the server cancelled the statement for running past its `statement_timeout`
    /// (SQLSTATE 57014): the request may be retried later, and is not retried elsewhere.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => db.code().as_deref() == Some("57014"),
            _ => false,
        }
    }
}

/// Whether a driver error is connection-class (SQLSTATE classes 08 and 57P, I/O, pool).
pub(crate) fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl From<Error> for campushub_core::Error {
    fn from(error: Error) -> Self {
        match &error {
            Error::Unsupported(message) => campushub_core::Error::invalid("query", message.clone()),
            _ if error.is_connection() => {
                campushub_core::Error::unavailable("database unavailable", error)
            }
            _ if error.is_timeout() => campushub_core::Error::unavailable(
                "the database cancelled a statement that ran past its statement timeout",
                error,
            ),
            _ => campushub_core::Error::internal("database failure", error),
        }
    }
}
