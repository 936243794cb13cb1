//! [`MemoryAccounts`]: the [`AccountStore`] of the in-memory store, with the semantics of the
//! SQL ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::accounts::{AccountStore, RefreshSession, Rotation, TokenHash};
use crate::audit_log::AuditEntry;
use crate::error::Result;
use crate::memory::MemoryStore;
use crate::password::StoredHash;

#[derive(Debug, Clone)]
struct Session {
    session: RefreshSession,
    used: bool,
    revoked: bool,
}

#[derive(Debug, Default)]
struct State {
    hashes: HashMap<Uuid, StoredHash>,
    sessions: HashMap<TokenHash, Session>,
    audit: Vec<AuditEntry>,
}

/// Password hashes and refresh sessions in memory. Cloning shares the data.
#[derive(Debug, Clone, Default)]
pub struct MemoryAccounts {
    state: Arc<Mutex<State>>,
    /// The store whose audit log records password changes, if any (else this one's own).
    audit_log: Option<MemoryStore>,
}

impl MemoryAccounts {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose password changes are recorded in `store`'s audit log, as the
    /// SQL stores record them in the database's (so `AuditLog` reads show them).
    pub fn beside(store: &MemoryStore) -> Self {
        MemoryAccounts {
            audit_log: Some(store.clone()),
            ..Self::default()
        }
    }

    /// The audit entries of the passwords set here, oldest first.
    pub fn audit_entries(&self) -> Vec<AuditEntry> {
        match &self.audit_log {
            Some(store) => store.audit_entries(),
            None => self.state().audit.clone(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn revoke(state: &mut State, matches: impl Fn(&RefreshSession) -> bool) {
    for session in state.sessions.values_mut() {
        if matches(&session.session) {
            session.revoked = true;
        }
    }
}

#[async_trait]
impl AccountStore for MemoryAccounts {
    async fn password_hash(&self, user_id: Uuid) -> Result<Option<StoredHash>> {
        Ok(self.state().hashes.get(&user_id).cloned())
    }

    async fn set_password_hash(
        &self,
        user_id: Uuid,
        hash: &StoredHash,
        entry: Option<&AuditEntry>,
    ) -> Result<()> {
        let mut state = self.state();
        state.hashes.insert(user_id, hash.clone());
        if let Some(entry) = entry {
            match &self.audit_log {
                Some(store) => store.append_audit(entry.clone()),
                None => state.audit.push(entry.clone()),
            }
        }
        Ok(())
    }

    async fn store_refresh(&self, session: &RefreshSession) -> Result<()> {
        let mut state = self.state();
        let now = session.issued_at;
        state
            .sessions
            .retain(|_, s| s.session.user_id != session.user_id || s.session.expires_at > now);
        state.sessions.insert(
            session.token.clone(),
            Session {
                session: session.clone(),
                used: false,
                revoked: false,
            },
        );
        Ok(())
    }

    async fn rotate_refresh(
        &self,
        presented: &TokenHash,
        next: &RefreshSession,
        now: DateTime<Utc>,
    ) -> Result<Rotation> {
        let mut state = self.state();
        let Some(found) = state.sessions.get(presented).cloned() else {
            return Ok(Rotation::Refused);
        };
        let (user_id, family) = (found.session.user_id, found.session.family);
        if found.revoked || found.session.expires_at <= now {
            return Ok(Rotation::Refused);
        }
        if found.used {
            revoke(&mut state, |s| s.family == family);
            return Ok(Rotation::Reused { user_id, family });
        }
        if let Some(session) = state.sessions.get_mut(presented) {
            session.used = true;
        }
        let mut next = next.clone();
        next.user_id = user_id;
        next.family = family;
        state.sessions.insert(
            next.token.clone(),
            Session {
                session: next,
                used: false,
                revoked: false,
            },
        );
        Ok(Rotation::Rotated { user_id, family })
    }

    async fn family_of(&self, token: &TokenHash) -> Result<Option<(Uuid, Uuid)>> {
        Ok(self
            .state()
            .sessions
            .get(token)
            .map(|s| (s.session.user_id, s.session.family)))
    }

    async fn revoke_family(&self, family: Uuid, _now: DateTime<Utc>) -> Result<()> {
        revoke(&mut self.state(), |s| s.family == family);
        Ok(())
    }

    async fn revoke_user(&self, user_id: Uuid, _now: DateTime<Utc>) -> Result<()> {
        revoke(&mut self.state(), |s| s.user_id == user_id);
        Ok(())
    }
}
