//! The service's actions: list, retrieve, create, update, partial_update, destroy.
//!
//! Each action authorizes first, then validates, then calls the repository, then (writes only,
//! and only after the commit) announces the change: cache invalidation, hooks, rules.
//!
//! Each public action runs in a DEBUG span `service.<action>` (`entity.kind`, and `entity.id`
//! where there is one): the middle of a request's trace, between the request span and the
//! cache and statement spans. DEBUG, so that without a trace exporter or a debug filter the
//! span is disabled at its callsite and never built.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::cached::{record_value, vanished};
use super::scoping::Hidden;
use super::write::updated;
use super::{input, listing, EntityService, Fetched, Listed, WrittenRecord};
use crate::audit_log::AuditAction;
use crate::auth::{Action, Principal};
use crate::cache::CacheKey;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::event::ChangeOp;
use crate::meta::RecordMeta;
use crate::precondition::Precondition;
use crate::query::{paginate, ListQuery, Pagination};
use crate::repository::{ReadOptions, Written};

impl<E: Entity> EntityService<E> {
    /// Lists records matching raw query parameters (see [`crate::query`]).
    ///
    /// Custom-field definitions are read only when a parameter starts with `cf.`, so a plain
    /// list costs one statement (two for a page-number page, which also counts, up to the
    /// service's count cap when it has one). The page is
    /// cached under [`CacheKey::List`] with the query's fingerprint; [`Listed::results`]
    /// holds the rows' JSON array as cached, ready to be written into a response body.
    ///
    /// Row scopes: only records inside the caller's scope are listed (the scope's filters
    /// join the query's, so the page is cached apart). Field scopes: a caller not granted
    /// personal fields gets rows without them, and its filters, ordering and search on them
    /// are refused.
    ///
    /// # Errors
    /// [`Error::Forbidden`] without the `List` permission; [`Error::Validation`] naming the
    /// parameter for anything unknown or unparsable, or that names a field hidden from the
    /// caller; store failures as they come.
    #[tracing::instrument(level = "debug", name = "service.list", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn list(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<Listed<E>> {
        let (query, hidden) = self.list_query(principal, params, read).await?;
        let key = CacheKey::List {
            kind: E::KIND,
            query: query.fingerprint(),
        };
        let repository = &self.inner.repository;
        let cursors = &self.inner.cursors;
        let query = &query;
        let cached = self
            .through_cache(&key, read, move |ticket| async move {
                let read = read.clone().at_least(ticket.min_token);
                let count = match query.pagination {
                    Pagination::Number(_) => Some(self.page_count(query, &read).await?),
                    Pagination::Cursor(_) => None,
                };
                let rows = repository.list(query, &read).await?;
                listing::encode(paginate(query, rows, count, cursors)).map(Some)
            })
            .await?
            .ok_or_else(|| vanished("list page"))?;
        let listed = listing::decode(cached)?;
        match hidden {
            Some(hidden) => Ok(listed.redacted(&hidden)?),
            None => Ok(listed),
        }
    }

    /// The query `principal` lists with `params` (the row scope's filters joined to it) and
    /// the fields hidden from them (`None`: nothing hidden), after the `List` permission and
    /// the field scope's refusals: what [`EntityService::list`] and
    /// [`EntityService::walk`] share, so that an export matches the list route row for row.
    pub(super) async fn list_query(
        &self,
        principal: &Principal,
        params: &[(String, String)],
        read: &ReadOptions,
    ) -> Result<(ListQuery, Option<Hidden>)> {
        self.authorize(principal, Action::List)?;
        let access = self.access(principal, Action::List)?;
        let hidden = match access.personal {
            true => None,
            false => Some(self.hidden(read).await?),
        };
        if let Some(hidden) = &hidden {
            hidden.check_params(E::schema(), params)?;
        }
        let definitions = self.query_definitions(params, read).await?;
        let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let mut query = ListQuery::parse(E::schema(), pairs, &definitions, &self.inner.cursors)?;
        query.filters.extend(access.filters.into_iter().flatten());
        Ok((query, hidden.filter(|hidden| !hidden.is_empty())))
    }

    /// One record by id, through the cache ([`CacheKey::Entity`]).
    ///
    /// The cache holds the whole record; a caller not granted personal fields gets it
    /// without them (its [`Fetched::json`] lacks them, so [`Fetched::value`] does not decode:
    /// serve the JSON).
    ///
    /// # Errors
    /// [`Error::Forbidden`] without the `Retrieve` permission; [`Error::NotFound`] when no
    /// record has the id, or when the record is outside the caller's row scope (so that a
    /// scope does not reveal which ids exist).
    #[tracing::instrument(level = "debug", name = "service.retrieve", skip_all, fields(entity.kind = %E::KIND, entity.id = %id))]
    pub async fn retrieve(
        &self,
        principal: &Principal,
        id: Uuid,
        read: &ReadOptions,
    ) -> Result<Fetched<E>> {
        self.authorize(principal, Action::Retrieve)?;
        let access = self.access(principal, Action::Retrieve)?;
        let key = CacheKey::Entity { kind: E::KIND, id };
        let repository = &self.inner.repository;
        let cached = self
            .through_cache(&key, read, move |ticket| async move {
                let read = read.clone().at_least(ticket.min_token);
                repository
                    .get(id, &read)
                    .await?
                    .map(record_value)
                    .transpose()
            })
            .await?
            .ok_or_else(|| Error::not_found(E::KIND, id))?;
        let decoded = cached.decoded::<E>();
        let fetched = Fetched::new(cached.json, cached.version, decoded);
        if access.filters.is_some() && !access.reaches(fetched.value()?.as_ref()) {
            return Err(Error::not_found(E::KIND, id));
        }
        if access.personal {
            return Ok(fetched);
        }
        let hidden = self.hidden(read).await?;
        if hidden.is_empty() {
            return Ok(fetched);
        }
        let json = hidden.redact(fetched.json())?;
        Ok(Fetched::new(json, fetched.version(), None))
    }

    /// Creates a record from a typed input.
    ///
    /// The input is checked against the fields' declarations, the record is built with fresh
    /// metadata, checked (the kind's rules, custom fields against every definition of the
    /// kind, application rules), inserted, and announced.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::Validation`] naming every value out of its declaration;
    /// [`Error::Unprocessable`] naming every field that breaks a rule (a missing referenced
    /// record included); [`Error::Conflict`] when a unique value is taken.
    #[tracing::instrument(level = "debug", name = "service.create", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn create(
        &self,
        principal: &Principal,
        input: E::Create,
    ) -> Result<WrittenRecord<E>> {
        self.authorize(principal, Action::Create)?;
        input::check_input(E::schema(), &input)?;
        self.insert_input(principal, input, AuditAction::Create)
            .await
    }

    /// Creates a record from a JSON body; type errors become field errors naming the field.
    ///
    /// Keys the kind does not accept are "Unknown field." errors, except read-only ones
    /// (`id`, timestamps, `version`, audit fields, embedded summaries), which are ignored.
    #[tracing::instrument(level = "debug", name = "service.create_json", skip_all, fields(entity.kind = %E::KIND))]
    pub async fn create_json(
        &self,
        principal: &Principal,
        body: Value,
    ) -> Result<WrittenRecord<E>> {
        self.authorize(principal, Action::Create)?;
        let input = input::decode_body(E::schema(), body)?;
        self.insert_input(principal, input, AuditAction::Create)
            .await
    }

    /// Replaces a record's writable fields with a JSON body (PUT), if `precondition` holds
    /// (`None` or [`Precondition::default`]: unconditionally; `Some(version)`: only that
    /// version).
    ///
    /// Without a condition the write applies to the version stored when it commits: when
    /// another writer commits between the re-read and the write, the record is read again
    /// and the write applied to it, up to the service's write attempts
    /// ([`EntityServiceBuilder::write_attempts`](super::EntityServiceBuilder::write_attempts)).
    /// With one, the condition is evaluated again on each re-read.
    ///
    /// # Errors
    /// As [`EntityService::create_json`], plus [`Error::NotFound`] for an unknown id (without
    /// `If-Match`); [`Error::PreconditionFailed`] or [`Error::ConditionFailed`] when the
    /// condition does not hold; [`Error::ConcurrentWrites`] when every attempt lost the race.
    #[tracing::instrument(level = "debug", name = "service.update_json", skip_all, fields(entity.kind = %E::KIND, entity.id = %id))]
    pub async fn update_json(
        &self,
        principal: &Principal,
        id: Uuid,
        body: Value,
        precondition: impl Into<Precondition>,
    ) -> Result<WrittenRecord<E>> {
        self.authorize(principal, Action::Update)?;
        self.check_write_scope(principal, Action::Update, id)
            .await?;
        let input: E::Create = input::decode_body(E::schema(), body)?;
        let input = &input;
        self.read_modify_write(id, &precondition.into(), |current| async move {
            self.replace(principal, current, input.clone(), AuditAction::Replace)
                .await
        })
        .await
    }

    /// Applies a JSON merge patch (RFC 7396) to a record's writable fields (PATCH), if
    /// `precondition` holds.
    ///
    /// The patch applies to the record's input form ([`Entity::to_input`]): nested objects
    /// such as `custom_fields` merge key by key, `null` removes a value (a required field
    /// removed is "This field is required."). Unknown and read-only keys are treated as by
    /// [`EntityService::create_json`]. Each attempt (see [`EntityService::update_json`])
    /// applies the patch to the record as it then is, so concurrent patches of different
    /// fields all take effect.
    ///
    /// # Errors
    /// As [`EntityService::update_json`].
    #[tracing::instrument(level = "debug", name = "service.partial_update", skip_all, fields(entity.kind = %E::KIND, entity.id = %id))]
    pub async fn partial_update(
        &self,
        principal: &Principal,
        id: Uuid,
        patch: Map<String, Value>,
        precondition: impl Into<Precondition>,
    ) -> Result<WrittenRecord<E>> {
        self.authorize(principal, Action::Update)?;
        self.check_write_scope(principal, Action::Update, id)
            .await?;
        let patch = input::checked_patch::<E::Create>(E::schema(), patch)?;
        let patch = &patch;
        self.read_modify_write(id, &precondition.into(), |current| async move {
            let input = patched_input(&current, patch.clone())?;
            self.replace(principal, current, input, AuditAction::Patch)
                .await
        })
        .await
    }

    /// Deletes a record, if `precondition` holds; retried as [`EntityService::update_json`]
    /// is when another writer commits first.
    ///
    /// # Errors
    /// [`Error::Forbidden`]; [`Error::NotFound`]; [`Error::PreconditionFailed`] or
    /// [`Error::ConditionFailed`] when the condition does not hold; [`Error::Conflict`] when
    /// other records still reference it; [`Error::ConcurrentWrites`].
    #[tracing::instrument(level = "debug", name = "service.destroy", skip_all, fields(entity.kind = %E::KIND, entity.id = %id))]
    pub async fn destroy(
        &self,
        principal: &Principal,
        id: Uuid,
        precondition: impl Into<Precondition>,
    ) -> Result<Written> {
        self.authorize(principal, Action::Delete)?;
        self.check_write_scope(principal, Action::Delete, id)
            .await?;
        self.read_modify_write(id, &precondition.into(), |current| async move {
            let entry = self.audit_entry(principal, AuditAction::Delete, Some(&current), None)?;
            let written = self
                .store_delete(id, current.meta().version, entry.as_ref())
                .await?;
            let event = self.event(&current, ChangeOp::Deleted, written.token);
            self.emit(principal, [event]).await;
            Ok(written)
        })
        .await
    }

    /// `Err(Forbidden)` unless the policy allows `action` on this kind.
    pub(super) fn authorize(&self, principal: &Principal, action: Action) -> Result<()> {
        self.inner.policy.authorize(principal, E::KIND, action)
    }

    /// Builds, checks, inserts and announces a new record.
    async fn insert_input(
        &self,
        principal: &Principal,
        input: E::Create,
        action: AuditAction,
    ) -> Result<WrittenRecord<E>> {
        let mut record = E::from_input(input, RecordMeta::new(), &principal.subject);
        if !self.access(principal, Action::Create)?.reaches(&record) {
            return Err(Error::Forbidden(format!(
                "`{}` may create {} records inside its scope only",
                principal.subject,
                E::KIND
            )));
        }
        self.validate_for_write(principal, &mut record, None)
            .await?;
        let entry = self.audit_entry(principal, action, None, Some(&record))?;
        let written = self.store_insert(&record, entry.as_ref()).await?;
        let event = self.event(&record, ChangeOp::Created, written.token);
        self.emit(principal, [event]).await;
        // Creates are not written through to the cache (most are not read back soon); the
        // record is read back for the answer only.
        let record = self.as_stored(record, written.token, None).await;
        Ok(WrittenRecord {
            record,
            token: written.token,
        })
    }

    /// Applies `input` over `current`, checks, writes against `current`'s version, announces.
    async fn replace(
        &self,
        principal: &Principal,
        current: E,
        input: E::Create,
        action: AuditAction,
    ) -> Result<WrittenRecord<E>> {
        let record = updated(&current, input, &principal.subject);
        self.write_over(principal, current, record, action).await
    }

    /// Checks `record` (the next version of `current`), writes it against `current`'s
    /// version, audits and announces it.
    pub(super) async fn write_over(
        &self,
        principal: &Principal,
        current: E,
        mut record: E,
        action: AuditAction,
    ) -> Result<WrittenRecord<E>> {
        self.validate_for_write(principal, &mut record, Some(&current))
            .await?;
        let entry = self.audit_entry(principal, action, Some(&current), Some(&record))?;
        let written = self
            .store_update(&record, current.meta().version, entry.as_ref())
            .await?;
        let event = self.event(&record, ChangeOp::Updated, written.token);
        self.emit(principal, [event]).await;
        let filled = self.offer(record.meta().id, written.token).await;
        let record = self.as_stored(record, written.token, filled).await;
        Ok(WrittenRecord {
            record,
            token: written.token,
        })
    }
}

/// The input `patch` (already stripped to writable keys) makes of `current`.
pub(super) fn patched_input<E: Entity>(
    current: &E,
    patch: Map<String, Value>,
) -> Result<E::Create> {
    let mut base = serde_json::to_value(current.to_input())
        .map_err(|error| Error::internal("a record's input does not serialize", error))?;
    input::merge_patch(&mut base, Value::Object(patch));
    Ok(input::decode(E::schema(), input::object(base)?)?)
}
