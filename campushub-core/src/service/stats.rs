//! Statistics: counts grouped by the schema's statistics fields.

use super::{EntityService, Statistics};
use crate::auth::Principal;
use crate::entity::Entity;
use crate::error::Result;
use crate::repository::ReadOptions;

impl<E: Entity> EntityService<E> {
    /// Counts of records matching the filter parameters, grouped by the schema's statistics
    /// fields.
    pub async fn statistics(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Statistics> {
        let _ = (principal, params, read);
        unimplemented!("EntityService::statistics")
    }
}
