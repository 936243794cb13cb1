//! The record a committed write answers with: the store's own read of the version written,
//! so that the body of a create or update is byte for byte what a retrieve of that version
//! answers, embedded summaries of referenced records included.

use uuid::Uuid;

use super::EntityService;
use crate::consistency::ConsistencyToken;
use crate::entity::Entity;
use crate::relation::Embedded;
use crate::repository::{ReadOptions, ReadRoute};

impl<E: Entity> EntityService<E> {
    /// `record`, just committed at `token`, as a read of it returns it.
    ///
    /// A record built in memory lacks what only the store adds on read (the summaries its
    /// relations embed, such as a student's department) and carries values as the client sent
    /// them rather than as stored, so it is read back on the primary, unless `filled` is
    /// already that read: the cache's write-through fill ([`EntityService::offer`]), which
    /// then costs no second statement.
    ///
    /// If another writer committed a newer version before the read back, this version can no
    /// longer be read: `record` is answered with the summaries of the newer version where both
    /// reference the same record. If the read back fails, the write stands (it committed) and
    /// `record` is answered as built.
    pub(super) async fn as_stored(
        &self,
        record: E,
        token: Option<ConsistencyToken>,
        filled: Option<E>,
    ) -> E {
        let stored = match filled {
            Some(stored) => Some(stored),
            None => self.read_back(record.meta().id, token).await,
        };
        match stored {
            Some(stored) if stored.meta().version == record.meta().version => stored,
            Some(newer) => with_summaries_of(record, &newer),
            None => record,
        }
    }

    /// Record `id` read on the primary, at least at `token`; `None` when it is gone or the
    /// read failed.
    async fn read_back(&self, id: Uuid, token: Option<ConsistencyToken>) -> Option<E> {
        let read = ReadOptions::after(token).on(ReadRoute::Primary);
        self.inner.repository.get(id, &read).await.ok().flatten()
    }
}

/// `record` with the summaries `newer` (a later version of the same record) embeds, for each
/// embedding relation through which both reference the same record.
fn with_summaries_of<E: Entity>(mut record: E, newer: &E) -> E {
    // Summaries are reached through the record's JSON: `Entity` has a setter for them
    // (`set_embedded`), not a getter.
    let Ok(newer_json) = serde_json::to_value(newer) else {
        return record;
    };
    for (relation, embed) in E::schema().embedding_relations() {
        let referenced = relation.id_in(&record);
        if referenced.is_none() || referenced != relation.id_in(newer) {
            continue;
        }
        let summary = newer_json
            .get(embed.as_field)
            .cloned()
            .and_then(|value| serde_json::from_value::<Embedded>(value).ok());
        record.set_embedded(embed.as_field, summary.as_ref());
    }
    record
}
