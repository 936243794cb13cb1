//! Entity tags (RFC 9110 §8.8.3): the strong ETag of a record version, and the syntax of
//! `If-Match` and `If-None-Match` (§13.1.1, §13.1.2).
//!
//! An ETag is `"<id>-<version>"`. A condition field is `*` or a comma-separated list of entity
//! tags, each `"<opaque>"` or `W/"<opaque>"`, possibly over several field lines. Any tag of
//! that syntax is well formed, ours or not (`"stale"` is a tag that matches nothing); only a
//! field that breaks the syntax is malformed. What a tag means for a record is in
//! `conditional.rs`.

use std::fmt::Write;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use uuid::Uuid;

use crate::problem::Problem;

/// The ETag of version `version` of record `id`.
pub fn etag(id: Uuid, version: i64) -> HeaderValue {
    // Every retrieve answers with one: one allocation, the UUID encoded directly rather than
    // through `Display` (the string becomes the header's bytes without a copy).
    let mut text = String::with_capacity(ETAG_CAPACITY);
    text.push('"');
    text.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    text.push('-');
    // Writing to a `String` cannot fail.
    let _ = write!(text, "{version}\"");
    // A UUID and a number are always valid header text.
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Quotes, a hyphenated UUID, a hyphen and the longest `i64`.
const ETAG_CAPACITY: usize = 2 + 36 + 1 + 20;

/// A parsed `If-Match` or `If-None-Match` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagCondition {
    /// `*`: any current representation.
    Any,
    /// A list of entity tags (at least one).
    Tags(Vec<EntityTag>),
}

/// One entity tag of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag {
    /// `W/"..."`: a weak tag, which never matches under the strong comparison of `If-Match`.
    pub weak: bool,
    /// The opaque part, without its quotes.
    pub opaque: Vec<u8>,
}

impl EntityTag {
    /// The version of record `id` this tag names, if it is one of our tags for `id`.
    pub fn version_of(&self, id: Uuid) -> Option<i64> {
        let text = std::str::from_utf8(&self.opaque).ok()?;
        let (tag_id, version) = text.rsplit_once('-')?;
        let version: i64 = version.parse().ok()?;
        (Uuid::parse_str(tag_id).ok()? == id && version > 0).then_some(version)
    }
}

/// The condition in field `name`, over all its lines: `None` when the request has none.
///
/// # Errors
/// A 400 problem naming the field (`If-Match`, `If-None-Match`) when a line breaks the
/// syntax: no quotes, an unterminated tag, a character outside a tag, `*` beside tags, or
/// no tag at all.
pub fn condition(headers: &HeaderMap, name: &HeaderName) -> Result<Option<TagCondition>, Problem> {
    let field = field_name(name);
    let malformed = |why: &str| {
        Problem::invalid(
            field,
            format!("{why}: expected `*` or a comma-separated list of entity tags such as `\"<id>-<version>\"` or `W/\"...\"`"),
        )
    };
    let mut any = false;
    let mut tags = Vec::new();
    let mut lines = 0;
    for line in headers.get_all(name) {
        lines += 1;
        let bytes = trim(line.as_bytes());
        if bytes == b"*" {
            any = true;
        } else {
            parse_list(bytes, &mut tags).map_err(malformed)?;
        }
    }
    match (lines, any, tags.is_empty()) {
        (0, _, _) => Ok(None),
        (_, true, true) if lines == 1 => Ok(Some(TagCondition::Any)),
        (_, true, _) => Err(malformed("`*` stands alone")),
        (_, false, true) => Err(malformed("no entity tag")),
        (_, false, false) => Ok(Some(TagCondition::Tags(tags))),
    }
}

/// How problems name the field: as the API documents it.
fn field_name(name: &HeaderName) -> &'static str {
    if name == axum::http::header::IF_NONE_MATCH {
        "If-None-Match"
    } else {
        "If-Match"
    }
}

/// Appends the entity tags of one field line (`1#entity-tag`, empty elements allowed as
/// RFC 9110 §5.6.1 asks recipients to) to `tags`.
fn parse_list(mut rest: &[u8], tags: &mut Vec<EntityTag>) -> Result<(), &'static str> {
    loop {
        rest = trim_start(rest);
        match rest {
            [] => return Ok(()),
            [b',', tail @ ..] => rest = tail,
            _ => {
                let (tag, tail) = parse_tag(rest)?;
                tags.push(tag);
                rest = trim_start(tail);
                match rest {
                    [] => return Ok(()),
                    [b',', tail @ ..] => rest = tail,
                    _ => return Err("entity tags are separated by commas"),
                }
            }
        }
    }
}

/// One `entity-tag` at the start of `input`, and what follows it.
fn parse_tag(input: &[u8]) -> Result<(EntityTag, &[u8]), &'static str> {
    let (weak, quoted) = match input {
        [b'W', b'/', rest @ ..] => (true, rest),
        _ => (false, input),
    };
    let [b'"', body @ ..] = quoted else {
        return Err("an entity tag is in double quotes");
    };
    let end = body
        .iter()
        .position(|&byte| byte == b'"')
        .ok_or("an entity tag is not closed")?;
    let opaque = &body[..end];
    // etagc = %x21 / %x23-7E / obs-text: visible characters but the quote, no spaces.
    if opaque.iter().any(|&byte| byte <= 0x20 || byte == 0x7F) {
        return Err("an entity tag holds no spaces or control characters");
    }
    let tag = EntityTag {
        weak,
        opaque: opaque.to_vec(),
    };
    Ok((tag, &body[end + 1..]))
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| byte != b' ' && byte != b'\t')
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn trim(bytes: &[u8]) -> &[u8] {
    let trimmed = trim_start(bytes);
    let end = trimmed
        .iter()
        .rposition(|&byte| byte != b' ' && byte != b'\t')
        .map_or(0, |last| last + 1);
    &trimmed[..end]
}

#[cfg(test)]
mod tests {
    use axum::http::{header, StatusCode};

    use super::*;

    fn with(name: HeaderName, values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name.clone(), HeaderValue::from_str(value).expect("header"));
        }
        headers
    }

    fn parsed(values: &[&str]) -> Result<Option<TagCondition>, Problem> {
        condition(&with(header::IF_MATCH, values), &header::IF_MATCH)
    }

    fn tag(weak: bool, opaque: &str) -> EntityTag {
        EntityTag {
            weak,
            opaque: opaque.as_bytes().to_vec(),
        }
    }

    #[test]
    fn any_tag_of_the_syntax_is_well_formed() {
        assert_eq!(parsed(&[]), Ok(None));
        assert_eq!(parsed(&["*"]), Ok(Some(TagCondition::Any)));
        assert_eq!(
            parsed(&["\"stale\""]),
            Ok(Some(TagCondition::Tags(vec![tag(false, "stale")])))
        );
        assert_eq!(
            parsed(&[" W/\"a\" ,, \"b,c\" ", "\"\""]),
            Ok(Some(TagCondition::Tags(vec![
                tag(true, "a"),
                tag(false, "b,c"),
                tag(false, ""),
            ]))),
            "lists, weak tags, commas inside a tag, empty elements, several lines"
        );
    }

    #[test]
    fn a_field_that_breaks_the_syntax_is_a_400_naming_it() {
        for bad in [
            &["stale"][..],
            &["\"open"],
            &["W/x"],
            &["w/\"lowercase-weak\""],
            &["\"a\" \"b\""],
            &["\"a b\""],
            &["*, \"a\""],
            &["*", "\"a\""],
            &["*", "*"],
            &[","],
        ] {
            let problem = parsed(bad).expect_err(&format!("{bad:?}"));
            assert_eq!(problem.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(problem.errors.contains("If-Match"), "{bad:?}");
        }
        let none_match = condition(
            &with(header::IF_NONE_MATCH, &["nope"]),
            &header::IF_NONE_MATCH,
        );
        let problem = none_match.expect_err("malformed");
        assert!(problem.errors.contains("If-None-Match"));
    }

    #[test]
    fn a_tag_names_a_version_of_one_record_only() {
        let id = Uuid::now_v7();
        let ours = etag(id, 7);
        let text = ours.to_str().expect("text");
        assert_eq!(text, format!("\"{id}-7\""));
        assert_eq!(
            etag(id, i64::MIN),
            format!("\"{id}-{}\"", i64::MIN).as_str()
        );
        let Ok(Some(TagCondition::Tags(tags))) = parsed(&[text]) else {
            panic!("our own tag parses");
        };
        assert_eq!(tags[0].version_of(id), Some(7));
        assert_eq!(tags[0].version_of(Uuid::now_v7()), None, "another record");
        assert_eq!(tag(false, "stale").version_of(id), None);
        assert_eq!(tag(false, &format!("{id}-0")).version_of(id), None);
    }
}
