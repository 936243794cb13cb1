//! A thread-safe in-memory store implementing every repository trait with the semantics of
//! the SQL stores; for tests, examples and benchmarks.
//!
//! One [`MemoryStore`] holds a table per entity kind; [`MemoryStore::repository`] hands out a
//! [`MemoryRepository`] for any [`Entity`] type, and all repositories of one store see each
//! other's records, so references between kinds (a student's department) are checked and
//! the summaries a kind's relations embed are attached on read.
//!
//! ```
//! use campushub_core::memory::MemoryStore;
//! use campushub_core::{Department, Entity, ReadOptions, RecordMeta, Repository};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> campushub_core::Result<()> {
//! let store = MemoryStore::new();
//! let departments = store.repository::<Department>();
//! let input = serde_json::from_value(serde_json::json!({"code": "CSE", "name": "Computing"}))
//!     .map_err(|e| campushub_core::Error::invalid("body", e.to_string()))?;
//! let cse = Department::from_input(input, RecordMeta::new(), "admin");
//! let written = departments.insert(&cse).await?;
//! assert_eq!(written.token, Some(store.token()));
//! let read = departments.get(cse.meta.id, &ReadOptions::default()).await?;
//! assert_eq!(read.map(|d| d.code), Some("CSE".to_owned()));
//! # Ok(())
//! # }
//! ```

mod accounts;
mod batch;
mod read;
mod repository;
mod state;
mod write;

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use accounts::MemoryAccounts;
pub use repository::MemoryRepository;

use async_trait::async_trait;

use crate::audit_log::{AuditEntry, AuditFilter, AuditLog, AuditPosition};
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::error::Result;
use state::State;

/// An in-memory database: a table per entity kind behind one lock, and a commit counter
/// that serves as the consistency token. Cloning is cheap and shares the data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<RwLock<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The repository for entity kind `E` in this store.
    pub fn repository<E: Entity>(&self) -> MemoryRepository<E> {
        MemoryRepository::new(self.clone())
    }

    /// The token of the latest commit (position 0 before any write).
    pub fn token(&self) -> ConsistencyToken {
        ConsistencyToken::from_position(self.read().position())
    }

    /// Every audit entry, in commit order (oldest first).
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        self.read().audit.clone()
    }

    /// Appends `entry` to the audit log (a write of the accounts kept beside this store).
    pub(crate) fn append_audit(&self, entry: AuditEntry) {
        self.write().audit.push(entry);
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied write: writes check
        // everything before changing anything.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn entries(&self, filter: &AuditFilter, limit: usize) -> Result<Vec<AuditEntry>> {
        let state = self.read();
        let mut entries: Vec<&AuditEntry> = state
            .audit
            .iter()
            .filter(|entry| filter.matches(entry))
            .collect();
        entries.sort_by_key(|entry| std::cmp::Reverse(AuditPosition::of(entry)));
        Ok(entries.into_iter().take(limit).cloned().collect())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("position", &self.read().position())
            .finish_non_exhaustive()
    }
}
