//! A private SQLite database file, for tests that need several connections (an in-memory
//! database has one), removed with its journal files when dropped.

use std::path::PathBuf;

use campushub_sqlx::SqliteStore;
use uuid::Uuid;

/// A database file under the temporary folder, named `campushub-<label>-<uuid>.db`.
pub struct SqliteFile(PathBuf);

impl SqliteFile {
    /// A new, not yet created, file.
    pub fn new(label: &str) -> Self {
        SqliteFile(std::env::temp_dir().join(format!("campushub-{label}-{}.db", Uuid::new_v4())))
    }

    /// A store on the file, migrated.
    pub async fn migrated_store(&self) -> SqliteStore {
        let store = SqliteStore::connect(&format!("sqlite://{}", self.0.display()))
            .await
            .expect("sqlite file");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}
