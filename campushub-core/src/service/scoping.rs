//! Row and field scopes applied by the service, so that every adapter gets them.
//!
//! Row scopes ([`RowScope`], from the policy) become filters: added to list and statistics
//! queries (so the cache keys the scoped query apart), and checked against a retrieved or
//! re-read record, which is answered as missing (404) when outside the scope.
//!
//! Field scopes: a caller the policy does not grant personal fields
//! ([`crate::Policy::sees_personal`]) gets records without them ([`Hidden::redact`]) and may
//! not filter, order or search on them ([`Hidden::check_params`]). The cache keeps the full
//! representation; redaction happens after it, for restricted callers only, so one entry
//! serves every caller and an unrestricted read stays a plain hit (docs/decisions.md).

use bytes::Bytes;
use serde_json::Value;
use uuid::Uuid;

use super::privacy::{param_field, refuse_params};
use super::EntityService;
use crate::auth::{Action, Principal};
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{Filter, FilterField, FilterValue, Op, CUSTOM_PREFIX};
use crate::repository::ReadOptions;
use crate::schema::Schema;
use crate::scope::{RowScope, ScopeCondition};
use crate::value::Scalar;

/// What one caller may reach of the kind for one action.
#[derive(Debug)]
pub(super) struct Access {
    /// The scope's filters (`None`: every record). A scope that reaches nothing is one
    /// filter no record passes (`id` is the nil UUID, which no record has).
    pub(super) filters: Option<Vec<Filter>>,
    /// Whether the caller sees personal fields.
    pub(super) personal: bool,
}

impl Access {
    /// Whether `record` is inside the scope.
    pub(super) fn reaches<E: Entity>(&self, record: &E) -> bool {
        self.filters
            .as_ref()
            .is_none_or(|filters| filters.iter().all(|filter| filter.holds(record)))
    }
}

/// What a caller without personal fields may not see of the kind: the schema's personal
/// fields and the names of its sensitive custom fields.
#[derive(Debug, Clone, Default)]
pub(super) struct Hidden {
    fields: Vec<&'static str>,
    custom: Vec<String>,
}

impl<E: Entity> EntityService<E> {
    /// The scope and field visibility the policy gives `principal` for `action` here.
    ///
    /// # Errors
    /// [`Error::Internal`] when the policy scopes by a field the kind's schema lacks (a
    /// misconfigured policy, refused loudly rather than read as "every record").
    pub(super) fn access(&self, principal: &Principal, action: Action) -> Result<Access> {
        let policy = &self.inner.policy;
        let filters = match policy.row_scope(principal, E::KIND, action) {
            RowScope::All => None,
            RowScope::Where(conditions) => Some(
                conditions
                    .iter()
                    .map(scope_filter(E::schema()))
                    .collect::<Result<Vec<_>>>()?,
            ),
            RowScope::Nothing => Some(vec![scope_filter(E::schema())(&ScopeCondition {
                field: "id",
                value: Scalar::Uuid(Uuid::nil()),
            })?]),
        };
        Ok(Access {
            filters,
            personal: policy.sees_personal(principal, E::KIND),
        })
    }

    /// What a caller without personal fields may not see: the schema's personal fields and
    /// the sensitive custom fields (their definitions read with `read`, only when the kind
    /// has custom fields).
    pub(super) async fn hidden(&self, read: &ReadOptions) -> Result<Hidden> {
        let custom = self
            .definitions(read)
            .await?
            .into_iter()
            .filter(|definition| definition.sensitive)
            .map(|definition| definition.name)
            .collect();
        Ok(Hidden {
            fields: E::schema().personal_fields().collect(),
            custom,
        })
    }

    /// `record` as JSON as `principal` may see it: whole for callers granted personal
    /// fields, without them for the others. Adapters answer writes with it, so that a write
    /// response shows no more than a read would.
    ///
    /// # Errors
    /// Store failures reading the custom-field definitions; [`Error::Internal`] when the
    /// record does not serialize.
    pub async fn present(&self, principal: &Principal, record: &E) -> Result<Bytes> {
        let json = serde_json::to_vec(record)
            .map_err(|error| Error::internal("a record does not serialize", error))?;
        if self.inner.policy.sees_personal(principal, E::KIND) {
            return Ok(json.into());
        }
        self.hidden(&Self::primary()).await?.redact(&json)
    }

    /// `Err(Forbidden)` when `principal` has a row scope for `action`: bulk calls address
    /// rows by natural key, and answering them row by row would tell which keys exist
    /// outside the scope.
    pub(super) fn refuse_scoped_bulk(&self, principal: &Principal, action: Action) -> Result<()> {
        match self.access(principal, action)?.filters {
            None => Ok(()),
            Some(_) => Err(Error::Forbidden(format!(
                "`{}` has a row scope on {}: bulk calls are not available to it",
                principal.subject,
                E::KIND
            ))),
        }
    }

    /// `Ok(())` when the scope reaches record `id` as stored (read on the primary), else
    /// [`Error::NotFound`]: a scoped writer learns no more about records outside its scope
    /// than a scoped reader. Costs a read only for scoped callers.
    pub(super) async fn check_write_scope(
        &self,
        principal: &Principal,
        action: Action,
        id: Uuid,
    ) -> Result<()> {
        let access = self.access(principal, action)?;
        if access.filters.is_none() {
            return Ok(());
        }
        let stored = self.inner.repository.get(id, &Self::primary()).await?;
        match stored {
            Some(record) if access.reaches(&record) => Ok(()),
            _ => Err(Error::not_found(E::KIND, id)),
        }
    }
}

/// The filter of one scope condition on `schema`'s kind.
fn scope_filter(schema: &Schema) -> impl Fn(&ScopeCondition) -> Result<Filter> + '_ {
    move |condition| {
        let spec = schema
            .field(condition.field)
            .ok_or_else(|| Error::Internal {
                message: format!(
                    "the policy scopes `{}` records by `{}`, which the kind does not have",
                    schema.kind, condition.field
                ),
                source: None,
            })?;
        Ok(Filter {
            field: FilterField::Schema(spec),
            op: Op::Eq,
            value: FilterValue::One(condition.value.clone()),
        })
    }
}

impl Hidden {
    /// Whether nothing is hidden (a kind without personal fields).
    pub(super) fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.custom.is_empty()
    }

    /// Whether the filter, ordering or group field `field` (a `cf.` name for custom fields)
    /// is hidden.
    fn hides(&self, field: &str) -> bool {
        match field.strip_prefix(CUSTOM_PREFIX) {
            Some(custom) => self.custom.iter().any(|name| name == custom),
            None => self.fields.contains(&field),
        }
    }

    /// Refuses (400, naming each parameter) every filter on a hidden field, an `ordering`
    /// naming one, and `search` when the kind's search covers one: a query that could tell
    /// a hidden value apart is refused, not answered.
    pub(super) fn check_params(&self, schema: &Schema, params: &[(String, String)]) -> Result<()> {
        let search_hidden = schema.search.iter().any(|field| self.hides(field));
        refuse_params(
            params,
            |key, value| match key {
                "search" => search_hidden,
                "ordering" => value
                    .split(',')
                    .any(|key| self.hides(key.trim().trim_start_matches('-'))),
                _ => self.hides(param_field(key)),
            },
            || {
                format!(
                    "personal fields of `{}` records ({}) and the searches covering them are \
                     not available to this caller",
                    schema.kind,
                    self.names().join(", ")
                )
            },
        )
    }

    /// Refuses statistics grouped by a hidden field, naming the kind's statistics.
    pub(super) fn check_groups(&self, schema: &Schema) -> Result<()> {
        match schema.stats.iter().find(|field| self.hides(field)) {
            Some(field) => Err(Error::invalid(
                "statistics",
                format!(
                    "`{}` statistics group by the personal field `{field}`",
                    schema.kind
                ),
            )),
            None => Ok(()),
        }
    }

    /// The hidden names, custom fields as `cf.<name>`.
    fn names(&self) -> Vec<String> {
        let custom = self
            .custom
            .iter()
            .map(|name| format!("{CUSTOM_PREFIX}{name}"));
        self.fields
            .iter()
            .map(|field| (*field).to_owned())
            .chain(custom)
            .collect()
    }

    /// `json` (a record, or an array of records) without the hidden fields.
    pub(super) fn redact(&self, json: &[u8]) -> Result<Bytes> {
        let mut value: Value = serde_json::from_slice(json)
            .map_err(|error| Error::internal("a cached record does not parse", error))?;
        match &mut value {
            Value::Array(records) => records.iter_mut().for_each(|record| self.strip(record)),
            record => self.strip(record),
        }
        serde_json::to_vec(&value)
            .map(Bytes::from)
            .map_err(|error| Error::internal("a redacted record does not serialize", error))
    }

    /// Removes the hidden members of one record.
    pub(super) fn strip(&self, record: &mut Value) {
        let Some(object) = record.as_object_mut() else {
            return;
        };
        for field in &self.fields {
            object.remove(*field);
        }
        if let Some(Value::Object(custom)) = object.get_mut("custom_fields") {
            for name in &self.custom {
                custom.remove(name);
            }
        }
    }
}
