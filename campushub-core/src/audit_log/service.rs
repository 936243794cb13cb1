//! [`AuditService`]: the audit log for callers, authorized, filtered and paged.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::entry::{AuditAction, AuditEntry};
use super::reader::{AuditFilter, AuditLog, AuditPosition};
use crate::auth::{Action, Policy, Principal};
use crate::error::{Result, ValidationErrors};
use crate::kind::EntityKind;

/// Entries per page unless `page_size` says otherwise.
pub const AUDIT_PAGE_SIZE: usize = 50;

/// The most entries one page holds.
pub const MAX_AUDIT_PAGE_SIZE: usize = 500;

/// One page of the log, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The entries.
    pub results: Vec<AuditEntry>,
    /// The cursor of the next (older) page, if there are more entries.
    pub next: Option<String>,
}

/// Reads the audit log for callers allowed to ([`Action::List`] on [`EntityKind::AUDIT`]:
/// the `auditor` role and admins by default). Nothing here writes or deletes: entries are
/// made only by the writes they record.
#[derive(Clone)]
pub struct AuditService {
    log: Arc<dyn AuditLog>,
    policy: Arc<dyn Policy>,
}

impl std::fmt::Debug for AuditService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditService").finish_non_exhaustive()
    }
}

impl AuditService {
    /// The log `log`, authorized by `policy`.
    pub fn new(log: Arc<dyn AuditLog>, policy: Arc<dyn Policy>) -> Self {
        AuditService { log, policy }
    }

    /// A page of entries passing the raw query parameters `params`: `kind`, `record_id`,
    /// `actor`, `action`, `since` and `until` (RFC 3339 times; `since` inclusive, `until`
    /// exclusive), `cursor` (a page's `next`) and `page_size`.
    ///
    /// # Errors
    /// [`Error::Forbidden`](crate::Error::Forbidden) without the permission;
    /// [`Error::Validation`](crate::Error::Validation) naming each unknown or unparsable
    /// parameter; [`Error::Unprocessable`](crate::Error::Unprocessable) for a cursor this
    /// service did not make; store failures as they come.
    pub async fn list(
        &self,
        principal: &Principal,
        params: &[(String, String)],
    ) -> Result<AuditPage> {
        self.policy
            .authorize(principal, EntityKind::AUDIT, Action::List)?;
        let (filter, page_size) = parse(params, &[])?;
        self.page(filter, page_size).await
    }

    /// The history of record `id` of `kind`: [`AuditService::list`] with those two fixed
    /// (the other parameters apply as there; `kind` and `record_id` are not accepted).
    ///
    /// # Errors
    /// As [`AuditService::list`].
    pub async fn history(
        &self,
        principal: &Principal,
        kind: EntityKind,
        id: Uuid,
        params: &[(String, String)],
    ) -> Result<AuditPage> {
        self.policy
            .authorize(principal, EntityKind::AUDIT, Action::List)?;
        let (mut filter, page_size) = parse(params, &["kind", "record_id"])?;
        filter.kind = Some(kind.as_str().to_owned());
        filter.record_id = Some(id);
        self.page(filter, page_size).await
    }

    async fn page(&self, filter: AuditFilter, page_size: usize) -> Result<AuditPage> {
        // One more than the page: whether there is a next page, without a count.
        let mut results = self.log.entries(&filter, page_size + 1).await?;
        let next = if results.len() > page_size {
            results.truncate(page_size);
            results.last().map(|last| encode(AuditPosition::of(last)))
        } else {
            None
        };
        Ok(AuditPage { results, next })
    }
}

/// The filter and page size of `params`; the names in `refused` are unknown here.
fn parse(params: &[(String, String)], refused: &[&str]) -> Result<(AuditFilter, usize)> {
    let mut filter = AuditFilter::default();
    let mut page_size = AUDIT_PAGE_SIZE;
    let mut errors = ValidationErrors::new();
    // A cursor that does not decode has the declared shape (a string) but cannot be
    // honoured: unprocessable, as a list's tampered cursor is.
    let mut unhonoured = ValidationErrors::new();
    for (name, value) in params {
        let name = name.as_str();
        if refused.contains(&name) {
            errors.add(name, "Unknown parameter.");
            continue;
        }
        let parsed: std::result::Result<(), String> = match name {
            "kind" => {
                filter.kind = Some(value.clone());
                Ok(())
            }
            "actor" => {
                filter.actor = Some(value.clone());
                Ok(())
            }
            "record_id" => Uuid::try_parse(value)
                .map(|id| filter.record_id = Some(id))
                .map_err(|_| format!("`{value}` is not a valid UUID.")),
            "action" => AuditAction::parse(value)
                .map(|action| filter.action = Some(action))
                .ok_or_else(|| {
                    let names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                    format!("`{value}` is not one of {}.", names.join(", "))
                }),
            "since" => time(value).map(|at| filter.since = Some(at)),
            "until" => time(value).map(|at| filter.until = Some(at)),
            "cursor" => {
                match decode(value) {
                    Ok(position) => filter.after = Some(position),
                    Err(message) => unhonoured.add(name, message),
                }
                Ok(())
            }
            "page_size" => match value.parse::<usize>() {
                Ok(size) if (1..=MAX_AUDIT_PAGE_SIZE).contains(&size) => {
                    page_size = size;
                    Ok(())
                }
                _ => Err(format!(
                    "A page size is a whole number from 1 to {MAX_AUDIT_PAGE_SIZE}."
                )),
            },
            _ => Err("Unknown parameter.".to_owned()),
        };
        if let Err(message) = parsed {
            errors.add(name, message);
        }
    }
    errors.into_result()?;
    unhonoured.into_unprocessable()?;
    Ok((filter, page_size))
}

/// An RFC 3339 time.
fn time(value: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| format!("`{value}` is not an RFC 3339 time (2026-01-31T09:00:00Z)."))
}

/// The cursor of the page after `position`: its time (microseconds) and id. It is not
/// signed: whoever may read the log may read any page of it, so a forged cursor shows
/// nothing more.
fn encode(position: AuditPosition) -> String {
    let text = format!("{}.{}", position.at.timestamp_micros(), position.id);
    URL_SAFE_NO_PAD.encode(text)
}

/// The position a cursor of [`encode`] names.
fn decode(cursor: &str) -> std::result::Result<AuditPosition, String> {
    let invalid = || "Invalid cursor.".to_owned();
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    let id = Uuid::try_parse(id).map_err(|_| invalid())?;
    Ok(AuditPosition { at, id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_cursor_names_the_position_it_was_made_from() {
        let position = AuditPosition {
            at: DateTime::from_timestamp_micros(1_780_000_000_123_456).expect("a time"),
            id: Uuid::now_v7(),
        };
        assert_eq!(decode(&encode(position)), Ok(position));
        assert!(decode("not a cursor").is_err());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let bad = params(&[
            ("action", "drop"),
            ("since", "yesterday"),
            ("page_size", "0"),
            ("colour", "red"),
        ]);
        let error = parse(&bad, &[]).expect_err("refused");
        let errors = error.validation_errors().expect("field errors");
        for name in ["action", "since", "page_size", "colour"] {
            assert!(errors.contains(name), "{name} is named");
        }
        let history = parse(&params(&[("kind", "student")]), &["kind"]);
        assert!(history.is_err(), "history fixes the kind");
        let forged = parse(&params(&[("cursor", "bm90IG1pbmU")]), &[]);
        assert!(
            matches!(forged, Err(crate::Error::Unprocessable(_))),
            "{forged:?}"
        );
    }
}
