//! Opening the database (an SQLite file, or a Postgres primary with replicas and an analytics
//! database behind `PgRouter` and its health task) and the repositories over it.

use std::sync::Arc;
use std::time::Duration;

use super::backend_tls::BackendTls;
use super::private_files::{create_private_dir, make_private};
use super::values::Database;
use super::BoxError;
use crate::core::accounts::AccountStore;
use crate::core::AuditLog;
use crate::core::{CustomFieldDef, Department, Faculty, Repository, Student, User};
use crate::http::Analytics;
use crate::sqlx::{
    Backend, GroupCountMismatch, PgRouter, PgRouterConfig, PoolStats, SqlAccounts, SqlAnalytics,
    SqlAuditLog, SqlEntity, SqlRepository, SqliteStore, TransactionHook,
};

/// The opened database. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Storage {
    /// The embedded database.
    Sqlite(SqliteStore),
    /// Primary, replicas and analytics pools.
    Postgres(PgRouter),
}

/// The repositories of the built-in kinds and the analytics over them.
pub struct Stores {
    /// Departments.
    pub departments: Arc<dyn Repository<Department>>,
    /// Students.
    pub students: Arc<dyn Repository<Student>>,
    /// Faculty.
    pub faculty: Arc<dyn Repository<Faculty>>,
    /// Custom-field definitions.
    pub custom_fields: Arc<dyn Repository<CustomFieldDef>>,
    /// User accounts.
    pub users: Arc<dyn Repository<User>>,
    /// The accounts' password hashes and refresh tokens.
    pub accounts: Arc<dyn AccountStore>,
    /// Analytics as single aggregate statements.
    pub analytics: Arc<dyn Analytics>,
    /// The audit log the repositories' audited writes fill.
    pub audit: Arc<dyn AuditLog>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Repositories are trait objects without `Debug`; the `Storage` they came from has it.
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

impl Storage {
    /// Connects (creating the SQLite file and its folder if missing). Migrations are
    /// separate: [`Storage::migrate`].
    pub async fn open(database: &Database, tls: &BackendTls) -> Result<Storage, BoxError> {
        match database {
            Database::Sqlite { url, file } => {
                if let Some(dir) = file.as_ref().and_then(|f| f.parent()) {
                    if !dir.as_os_str().is_empty() {
                        create_private_dir(dir).map_err(|e| {
                            format!("cannot create the database folder `{}`: {e}", dir.display())
                        })?;
                    }
                }
                let store = SqliteStore::connect(url)
                    .await
                    .map_err(|e| format!("cannot open CAMPUSHUB_DATABASE_URL `{url}`: {e}"))?;
                // Student records: the owner's only (SQLite gives its journal files the
                // database file's permissions).
                if let Some(file) = file {
                    if make_private(file).map_err(|e| {
                        format!("cannot make the database `{}` private: {e}", file.display())
                    })? {
                        tracing::warn!(file = %file.display(), "the database was readable by others: made it readable by its owner only");
                    }
                }
                Ok(Storage::Sqlite(store))
            }
            Database::Postgres {
                primary,
                replicas,
                analytics,
                max_lag,
                max_connections,
                statement_timeout,
            } => {
                let mut config = PgRouterConfig::new(primary.clone())
                    .with_max_lag(*max_lag)
                    .with_max_connections(*max_connections)
                    .with_statement_timeout(*statement_timeout)
                    .with_require_tls(tls.required);
                if let Some(ca) = &tls.database_ca_file {
                    config = config.with_root_certificate(ca.clone());
                }
                for replica in replicas {
                    config = config.with_replica(replica.clone());
                }
                if let Some(analytics) = analytics {
                    config = config.with_analytics(analytics.clone());
                }
                let router = PgRouter::connect(config).await.map_err(|e| match e {
                    crate::sqlx::Error::Config(_) if tls.required => format!(
                        "{e} (CAMPUSHUB_BACKEND_TLS is `required`; `optional` allows plaintext)"
                    ),
                    _ => format!("cannot connect to the primary (CAMPUSHUB_DATABASE_URL): {e}"),
                })?;
                Ok(Storage::Postgres(router))
            }
        }
    }

    /// Applies the embedded migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), BoxError> {
        match self {
            Storage::Sqlite(store) => store.migrate().await,
            Storage::Postgres(router) => router.migrate().await,
        }
        .map_err(|e| format!("migrations failed: {e}").into())
    }

    /// Creates the table of an application's kind `E` from its description, after the
    /// embedded migrations, or checks the one that exists (see
    /// [`migrate_kind_sqlite`](crate::sqlx::migrate::migrate_kind_sqlite)): on Postgres on the
    /// primary, under a lock, so that instances starting together create it once. A table
    /// whose columns differ from the description is refused, naming them.
    pub async fn migrate_kind<E: SqlEntity>(&self) -> Result<(), BoxError> {
        match self {
            Storage::Sqlite(store) => store.migrate_kind::<E>().await,
            Storage::Postgres(router) => {
                crate::sqlx::migrate::migrate_kind_postgres::<E>(router.primary_pool()).await
            }
        }
        .map_err(|e| {
            format!(
                "the table of `{}` failed to migrate: {e}",
                <E as crate::core::Entity>::KIND
            )
            .into()
        })
    }

    /// Sets the slow-statement threshold of every pool (`None`: none is reported).
    pub fn set_slow_statement_threshold(&self, threshold: Option<Duration>) {
        match self {
            Storage::Sqlite(store) => store.set_slow_statement_threshold(threshold),
            Storage::Postgres(router) => router.set_slow_statement_threshold(threshold),
        }
    }

    /// Every pool's counters (statements, errors, health, replica lag).
    pub fn stats(&self) -> Vec<PoolStats> {
        match self {
            Storage::Sqlite(store) => store.pool_stats(),
            Storage::Postgres(router) => router.stats(),
        }
    }

    /// Every count the writes keep (`campushub_group_counts`) that differs from a count of
    /// the rows, for the built-in kinds: empty when they agree (the reference check of
    /// `verify-aggregates`).
    pub async fn verify_group_counts(&self) -> Result<Vec<GroupCountMismatch>, BoxError> {
        match self {
            Storage::Sqlite(store) => verify_group_counts(store.clone()).await,
            Storage::Postgres(router) => verify_group_counts(router.clone()).await,
        }
    }

    /// The repositories over this database.
    pub fn stores(&self) -> Stores {
        match self {
            Storage::Sqlite(store) => stores(store.clone()),
            Storage::Postgres(router) => stores(router.clone()),
        }
    }

    /// The repository of kind `E` over this database (an application's kind: its table comes
    /// from the application's migrations, run after CampusHub's).
    pub fn repository<E: SqlEntity>(&self) -> Arc<dyn Repository<E>> {
        self.repository_with_hooks(&[])
    }

    /// [`Storage::repository`] whose writes run `hooks` inside their transactions, in this
    /// order, before they commit: a hook's error vetoes the write (see
    /// [`TransactionHook`](crate::sqlx::TransactionHook)).
    pub fn repository_with_hooks<E: SqlEntity>(
        &self,
        hooks: &[Arc<dyn TransactionHook>],
    ) -> Arc<dyn Repository<E>> {
        fn hooked<E: SqlEntity, B: Backend>(
            backend: B,
            hooks: &[Arc<dyn TransactionHook>],
        ) -> Arc<dyn Repository<E>> {
            let repository = hooks
                .iter()
                .fold(SqlRepository::<E, B>::new(backend), |r, h| {
                    r.with_transaction_hook(Arc::clone(h))
                });
            Arc::new(repository)
        }
        match self {
            Storage::Sqlite(store) => hooked(store.clone(), hooks),
            Storage::Postgres(router) => hooked(router.clone(), hooks),
        }
    }
}

async fn verify_group_counts<B: Backend>(backend: B) -> Result<Vec<GroupCountMismatch>, BoxError> {
    let mut found = SqlRepository::<Department, B>::new(backend.clone())
        .verify_group_counts()
        .await?;
    found.extend(
        SqlRepository::<Student, B>::new(backend.clone())
            .verify_group_counts()
            .await?,
    );
    found.extend(
        SqlRepository::<Faculty, B>::new(backend)
            .verify_group_counts()
            .await?,
    );
    Ok(found)
}

fn stores<B: Backend>(backend: B) -> Stores {
    Stores {
        departments: Arc::new(SqlRepository::<Department, B>::new(backend.clone())),
        students: Arc::new(SqlRepository::<Student, B>::new(backend.clone())),
        faculty: Arc::new(SqlRepository::<Faculty, B>::new(backend.clone())),
        custom_fields: Arc::new(SqlRepository::<CustomFieldDef, B>::new(backend.clone())),
        users: Arc::new(SqlRepository::<User, B>::new(backend.clone())),
        accounts: Arc::new(SqlAccounts::new(backend.clone())),
        analytics: Arc::new(SqlAnalytics::new(backend.clone())),
        audit: Arc::new(SqlAuditLog::new(backend)),
    }
}
