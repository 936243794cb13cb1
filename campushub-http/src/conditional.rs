//! Conditional writes (RFC 9110 §13): `If-Match` and `If-None-Match` on a write become the
//! service's [`Precondition`] on the record, and [`RequireIfMatch`] says which resources
//! refuse an update or delete that carries no `If-Match` (`428 Precondition Required`).
//!
//! `If-Match` compares strongly: a weak tag (`W/"…"`) never matches. `If-None-Match` compares
//! weakly. A well-formed tag that is not one of ours for the record (`"stale"`, another
//! record's ETag) names no version: it never matches, so `If-Match` with only such tags fails
//! (412) and `If-None-Match` with only such tags holds.

use axum::http::{header, HeaderMap, StatusCode};
use campushub_core::precondition::{Precondition, Versions};
use campushub_core::{Error, Schema};
use uuid::Uuid;

use crate::etag::{condition, TagCondition};
use crate::problem::Problem;

/// Which resources require `If-Match` on every `PUT`, `PATCH` and `DELETE`: without it they
/// answer `428 Precondition Required`, so that no client overwrites a change it has not seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequireIfMatch {
    /// None (the default): a write without `If-Match` applies to the current version.
    #[default]
    Off,
    /// Every resource.
    All,
    /// The resources at these path segments (`students`, `faculty`).
    Only(Vec<String>),
}

impl RequireIfMatch {
    /// Parses `off` (or nothing), `all`, or a comma-separated list of resource path
    /// segments (`students,faculty`).
    ///
    /// ```
    /// use campushub_http::RequireIfMatch;
    ///
    /// assert_eq!(RequireIfMatch::parse(""), Ok(RequireIfMatch::Off));
    /// let some = RequireIfMatch::parse("students, faculty").expect("a list");
    /// assert!(some.applies_to("faculty") && !some.applies_to("departments"));
    /// assert!(RequireIfMatch::parse("students,/x").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<RequireIfMatch, String> {
        match text.trim() {
            "" | "off" => return Ok(RequireIfMatch::Off),
            "all" => return Ok(RequireIfMatch::All),
            _ => {}
        }
        let segments = text
            .split(',')
            .map(|segment| {
                let segment = segment.trim();
                let valid = !segment.is_empty()
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
                if valid {
                    Ok(segment.to_owned())
                } else {
                    Err(format!(
                        "`{segment}` is not a resource path segment (`off`, `all`, or segments such as `students,faculty`)"
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RequireIfMatch::Only(segments))
    }

    /// Whether the resource at `segment` requires `If-Match`.
    pub fn applies_to(&self, segment: &str) -> bool {
        match self {
            RequireIfMatch::Off => false,
            RequireIfMatch::All => true,
            RequireIfMatch::Only(segments) => segments.iter().any(|s| s == segment),
        }
    }

    /// The path segments named, when the requirement is a list.
    pub fn segments(&self) -> &[String] {
        match self {
            RequireIfMatch::Only(segments) => segments,
            RequireIfMatch::Off | RequireIfMatch::All => &[],
        }
    }
}

/// The precondition the request's headers put on a write of record `id`: what the generic
/// resource routes pass to the service, and what an application's own write route (added with
/// [`ApiState::routes`](crate::ApiState::routes)) passes to
/// [`EntityService::update_with`](campushub_core::EntityService::update_with) to honour
/// `If-Match` the same way. `required` is [`RequireIfMatch::applies_to`] of the resource's
/// segment.
///
/// # Errors
/// 400 for a malformed `If-Match` or `If-None-Match`; 428 when `required` and the request
/// has no `If-Match`.
pub fn write_precondition(
    headers: &HeaderMap,
    id: Uuid,
    required: bool,
) -> Result<Precondition, Problem> {
    let if_match = condition(headers, &header::IF_MATCH)?;
    let if_none_match = condition(headers, &header::IF_NONE_MATCH)?;
    if required && if_match.is_none() {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "this resource requires If-Match on every update and delete: send the ETag of the \
             version you read (or `*`)",
        )
        .with_errors(single("If-Match", "This header is required.")));
    }
    Ok(Precondition {
        if_match: if_match.map(|tags| versions(tags, id, Comparison::Strong)),
        if_none_match: if_none_match.map(|tags| versions(tags, id, Comparison::Weak)),
    })
}

/// What a create's headers ask. The target of a create is the collection, which exists and
/// has no entity tag: `If-Match: *` holds, `If-Match` with tags fails (412), `If-None-Match`
/// with tags holds. `If-None-Match: *` asks that the record not exist yet, which for a
/// create means that no record has its natural key: see [`CreateCondition::answer`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CreateCondition {
    /// `If-None-Match: *` was sent.
    only_if_absent: bool,
}

impl CreateCondition {
    /// The condition of a create request.
    ///
    /// # Errors
    /// 400 for a malformed field; 412 for `If-Match` with entity tags.
    pub(crate) fn of(headers: &HeaderMap) -> Result<CreateCondition, Problem> {
        if let Some(TagCondition::Tags(_)) = condition(headers, &header::IF_MATCH)? {
            return Err(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "If-Match names entity tags, and the collection a create is sent to has none",
            ));
        }
        let only_if_absent = matches!(
            condition(headers, &header::IF_NONE_MATCH)?,
            Some(TagCondition::Any)
        );
        Ok(CreateCondition { only_if_absent })
    }

    /// The problem for a create of `schema`'s kind that failed with `error`: a clash on the
    /// natural key is the record existing already, a 412 under `If-None-Match: *`; anything
    /// else maps as usual.
    pub(crate) fn answer(self, schema: &Schema, error: Error) -> Problem {
        match &error {
            Error::Conflict { field, .. }
                if self.only_if_absent && schema.natural_key == Some(field.as_str()) =>
            {
                Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    format!(
                        "If-None-Match: * and a {} with this `{field}` exists",
                        schema.kind
                    ),
                )
            }
            _ => Problem::from(error),
        }
    }
}

/// Whether a read of version `version` of record `id` is answered `304 Not Modified`: its
/// `If-None-Match` is `*` or names that version (weak comparison). A malformed field is
/// ignored, as a cache in between might have sent it: the read is answered in full.
pub(crate) fn not_modified(headers: &HeaderMap, id: Uuid, version: i64) -> bool {
    match condition(headers, &header::IF_NONE_MATCH) {
        Ok(Some(TagCondition::Any)) => true,
        Ok(Some(TagCondition::Tags(tags))) => {
            tags.iter().any(|tag| tag.version_of(id) == Some(version))
        }
        Ok(None) | Err(_) => false,
    }
}

/// How tags are compared (RFC 9110 §8.8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// Both strong and equal: `If-Match`.
    Strong,
    /// Equal opaque parts, weak or not: `If-None-Match`.
    Weak,
}

/// The versions of record `id` a condition names.
fn versions(condition: TagCondition, id: Uuid, comparison: Comparison) -> Versions {
    match condition {
        TagCondition::Any => Versions::Any,
        TagCondition::Tags(tags) => Versions::OneOf(
            tags.iter()
                .filter(|tag| comparison == Comparison::Weak || !tag.weak)
                .filter_map(|tag| tag.version_of(id))
                .collect(),
        ),
    }
}

fn single(field: &str, message: &str) -> campushub_core::ValidationErrors {
    let mut errors = campushub_core::ValidationErrors::new();
    errors.add(field, message);
    errors
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::etag::etag;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name.clone(), HeaderValue::from_str(value).expect("value"));
        }
        headers
    }

    #[test]
    fn if_match_compares_strongly_and_if_none_match_weakly() {
        let id = Uuid::now_v7();
        let tag = etag(id, 4);
        let strong = tag.to_str().expect("text");
        let weak = format!("W/{strong}");
        let other = etag(Uuid::now_v7(), 4);
        let list = format!("\"stale\", {}, {strong}", other.to_str().expect("text"));
        let cases = [
            (header::IF_MATCH, strong, Versions::OneOf(vec![4])),
            (header::IF_MATCH, weak.as_str(), Versions::OneOf(vec![])),
            (header::IF_MATCH, list.as_str(), Versions::OneOf(vec![4])),
            (header::IF_MATCH, "*", Versions::Any),
            (
                header::IF_NONE_MATCH,
                weak.as_str(),
                Versions::OneOf(vec![4]),
            ),
        ];
        for (name, value, expected) in cases {
            let precondition =
                write_precondition(&headers(&[(name.clone(), value)]), id, false).expect(value);
            let found = if name == header::IF_MATCH {
                precondition.if_match
            } else {
                precondition.if_none_match
            };
            assert_eq!(found, Some(expected), "{name}: {value}");
        }
    }

    #[test]
    fn a_read_is_not_modified_for_star_or_a_tag_of_its_version() {
        let id = Uuid::now_v7();
        let tag = etag(id, 3);
        let text = tag.to_str().expect("text");
        let modified = |value: &str, version| {
            !not_modified(&headers(&[(header::IF_NONE_MATCH, value)]), id, version)
        };
        assert!(!modified(text, 3));
        assert!(!modified(&format!("\"x\", W/{text}"), 3));
        assert!(!modified("*", 3));
        assert!(modified(text, 4), "an older version's tag");
        assert!(modified("\"x\"", 3));
        assert!(modified("nonsense", 3), "malformed: answered in full");
        assert!(!not_modified(&HeaderMap::new(), id, 3));
    }

    #[test]
    fn a_required_if_match_is_428_when_missing_and_400_when_malformed() {
        let id = Uuid::now_v7();
        let missing = write_precondition(&HeaderMap::new(), id, true).expect_err("428");
        assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
        assert!(missing.errors.contains("If-Match"));
        let none_match_only = headers(&[(header::IF_NONE_MATCH, "*")]);
        let still = write_precondition(&none_match_only, id, true).expect_err("428");
        assert_eq!(still.status, StatusCode::PRECONDITION_REQUIRED);
        let malformed = headers(&[(header::IF_MATCH, "stale")]);
        let bad = write_precondition(&malformed, id, true).expect_err("400");
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let any = headers(&[(header::IF_MATCH, "*")]);
        assert!(write_precondition(&any, id, true).is_ok());
    }

    #[test]
    fn the_requirement_parses_off_all_or_segments() {
        assert_eq!(RequireIfMatch::parse("off"), Ok(RequireIfMatch::Off));
        assert_eq!(RequireIfMatch::parse(" all "), Ok(RequireIfMatch::All));
        assert!(RequireIfMatch::All.applies_to("rooms"));
        assert!(!RequireIfMatch::Off.applies_to("students"));
        let some = RequireIfMatch::parse("students,custom-fields").expect("segments");
        assert_eq!(some.segments(), ["students", "custom-fields"]);
        assert!(some.applies_to("custom-fields"));
        for bad in ["students,", "Students", "a b", "/api"] {
            assert!(RequireIfMatch::parse(bad).is_err(), "{bad}");
        }
    }
}
