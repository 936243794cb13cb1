//! The store's data: a type-erased table per kind, the uniqueness and reference indexes, and
//! the commit counter.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::audit_log::AuditEntry;
use crate::entity::{Entity, Reference};
use crate::error::{Error, Result};
use crate::kind::EntityKind;
use crate::relation::{Embed, Embedded};

/// The rows of one kind, by id.
pub(super) type Rows<E> = BTreeMap<Uuid, E>;

/// Every table, the audit log (in commit order) and the position of the latest commit.
#[derive(Default)]
pub(super) struct State {
    position: u64,
    tables: HashMap<EntityKind, Table>,
    pub(super) audit: Vec<AuditEntry>,
}

/// One kind's rows (a `Rows<E>` behind `Any`) and what other kinds need to know about them
/// without knowing their type.
pub(super) struct Table {
    rows: Box<dyn Any + Send + Sync>,
    /// Reads the summary of one of `rows` that another kind embeds.
    summarize: Summarize,
    /// The references each row makes.
    pub(super) references: HashMap<Uuid, Vec<Reference>>,
    /// Unique `(field, value)` pairs and the row holding each.
    pub(super) unique: HashMap<(&'static str, String), Uuid>,
}

impl State {
    /// The position of the latest commit.
    pub(super) fn position(&self) -> u64 {
        self.position
    }

    /// Records a commit and returns its position.
    pub(super) fn commit(&mut self) -> u64 {
        self.position += 1;
        self.position
    }

    /// The table of `E`, if anything was ever stored in it.
    pub(super) fn table<E: Entity>(&self) -> Result<Option<(&Table, &Rows<E>)>> {
        match self.tables.get(&E::KIND) {
            None => Ok(None),
            Some(table) => Ok(Some((table, table.rows()?))),
        }
    }

    /// The table of `E`, created empty if needed.
    pub(super) fn table_mut<E: Entity>(&mut self) -> Result<&mut Table> {
        let table = self.tables.entry(E::KIND).or_insert_with(|| Table {
            rows: Box::new(Rows::<E>::new()),
            summarize: summarize::<E>,
            references: HashMap::new(),
            unique: HashMap::new(),
        });
        table.rows::<E>()?;
        Ok(table)
    }

    /// Whether a record of `kind` with `id` exists.
    pub(super) fn exists(&self, kind: EntityKind, id: Uuid) -> bool {
        self.tables
            .get(&kind)
            .is_some_and(|table| table.references.contains_key(&id))
    }

    /// A record (other than itself) that still references `kind` `id`: its kind, field, id.
    pub(super) fn referrer(&self, kind: EntityKind, id: Uuid) -> Option<(EntityKind, Reference)> {
        self.tables.iter().find_map(|(owner_kind, table)| {
            table.references.iter().find_map(|(owner, references)| {
                references
                    .iter()
                    .find(|r| {
                        r.kind == kind && r.id == id && !(*owner_kind == kind && *owner == id)
                    })
                    .map(|r| (*owner_kind, Reference { id: *owner, ..*r }))
            })
        })
    }

    /// The summary `embed` describes of the record of `kind` with `id`, if it exists.
    fn embedded(&self, kind: EntityKind, id: Uuid, embed: &Embed) -> Option<Embedded> {
        let table = self.tables.get(&kind)?;
        (table.summarize)(table.rows.as_ref(), id, embed)
    }

    /// `entity` as a read returns it: a clone with the summaries its relations embed attached.
    pub(super) fn attach<E: Entity>(&self, entity: &E) -> E {
        let mut entity = entity.clone();
        for (relation, embed) in E::schema().embedding_relations() {
            let summary = relation
                .id_in(&entity)
                .and_then(|id| self.embedded(relation.kind, id, embed));
            entity.set_embedded(embed.as_field, summary.as_ref());
        }
        entity
    }
}

impl Table {
    /// The rows, as `E`.
    pub(super) fn rows<E: Entity>(&self) -> Result<&Rows<E>> {
        self.rows.downcast_ref().ok_or_else(|| mixed_types::<E>())
    }

    /// The rows, as `E`, mutably.
    pub(super) fn rows_mut<E: Entity>(&mut self) -> Result<&mut Rows<E>> {
        self.rows.downcast_mut().ok_or_else(|| mixed_types::<E>())
    }
}

/// Reads, from a table's type-erased rows, the summary of row `id` that `embed` describes.
type Summarize = fn(&(dyn Any + Send + Sync), Uuid, &Embed) -> Option<Embedded>;

/// The [`Summarize`] of a table of `E`.
fn summarize<E: Entity>(
    rows: &(dyn Any + Send + Sync),
    id: Uuid,
    embed: &Embed,
) -> Option<Embedded> {
    let row = rows.downcast_ref::<Rows<E>>()?.get(&id)?;
    let values = embed.fields.iter().map(|name| row.field(name));
    Some(Embedded::new(id, embed, values))
}

/// Two Rust types claim one kind: a programming error in the application.
fn mixed_types<E: Entity>() -> Error {
    Error::Internal {
        message: format!(
            "kind `{}` is stored with another Rust type than `{}`",
            E::KIND,
            std::any::type_name::<E>()
        ),
        source: None,
    }
}
