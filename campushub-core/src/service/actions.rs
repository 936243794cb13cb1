//! The service's actions: list, retrieve, create, update, partial_update, destroy.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{EntityService, Fetched, Listed, Saved};
use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::Result;
use crate::repository::{ReadOptions, Written};

impl<E: Entity> EntityService<E> {
    /// Lists records matching raw query parameters (see [`crate::query`]).
    pub async fn list(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Listed<E>> {
        let _ = (principal, params, read);
        unimplemented!("EntityService::list")
    }

    /// One record by id.
    pub async fn retrieve(
        &self,
        principal: &Principal,
        id: Uuid,
        read: &ReadOptions,
    ) -> Result<Fetched<E>> {
        let _ = (principal, id, read);
        unimplemented!("EntityService::retrieve")
    }

    /// Creates a record from a typed input.
    pub async fn create(&self, principal: &Principal, input: E::Create) -> Result<Saved<E>> {
        let _ = (principal, input);
        unimplemented!("EntityService::create")
    }

    /// Creates a record from a JSON body; type errors become field errors naming the field.
    pub async fn create_json(&self, principal: &Principal, body: Value) -> Result<Saved<E>> {
        let _ = (principal, body);
        unimplemented!("EntityService::create_json")
    }

    /// Replaces a record's writable fields with a JSON body (PUT). Without `expected_version`
    /// the version read just before the write is used.
    pub async fn update_json(
        &self,
        principal: &Principal,
        id: Uuid,
        body: Value,
        expected_version: Option<i64>,
    ) -> Result<Saved<E>> {
        let _ = (principal, id, body, expected_version);
        unimplemented!("EntityService::update_json")
    }

    /// Applies a JSON merge patch (RFC 7396) to a record's writable fields (PATCH).
    pub async fn partial_update(
        &self,
        principal: &Principal,
        id: Uuid,
        patch: Map<String, Value>,
        expected_version: Option<i64>,
    ) -> Result<Saved<E>> {
        let _ = (principal, id, patch, expected_version);
        unimplemented!("EntityService::partial_update")
    }

    /// Deletes a record.
    pub async fn destroy(
        &self,
        principal: &Principal,
        id: Uuid,
        expected_version: Option<i64>,
    ) -> Result<Written> {
        let _ = (principal, id, expected_version);
        unimplemented!("EntityService::destroy")
    }
}
