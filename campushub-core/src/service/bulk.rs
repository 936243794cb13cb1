//! Bulk create, update and delete keyed by the natural key, with per-row errors.

use serde_json::Value;

use super::{BulkReport, EntityService};
use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::Result;

impl<E: Entity> EntityService<E> {
    /// Creates every row that validates; the others are reported by index.
    pub async fn bulk_create(&self, principal: &Principal, rows: Vec<Value>) -> Result<BulkReport> {
        let _ = (principal, rows);
        unimplemented!("EntityService::bulk_create")
    }

    /// Patches rows addressed by natural key (each row an object carrying the key field).
    pub async fn bulk_update(&self, principal: &Principal, rows: Vec<Value>) -> Result<BulkReport> {
        let _ = (principal, rows);
        unimplemented!("EntityService::bulk_update")
    }

    /// Deletes rows addressed by natural key.
    pub async fn bulk_delete(
        &self,
        principal: &Principal,
        keys: Vec<String>,
    ) -> Result<BulkReport> {
        let _ = (principal, keys);
        unimplemented!("EntityService::bulk_delete")
    }
}
