//! How a list page is cached: the links and count, then the rows' JSON array, in one value, so
//! that a hit is served without re-serializing any row.
//!
//! # The cached bytes
//!
//! ```text
//! {"count":120,"next":{"number":3},"previous":{"number":1}}\n[{...row...},{...row...}]
//! ```
//!
//! One line of JSON header (`count` only for page-number pages, `"count_exact":false` after it
//! when the count stopped at the cap; `next` and `previous` as
//! `{"cursor": "..."}` or `{"number": n}`), a newline, then the rows exactly as the HTTP body's
//! `results` array carries them. Compact JSON never contains a raw newline, so the split is
//! unambiguous. On a hit the header (a few dozen bytes) is parsed and the rows are a zero-copy
//! slice of the cached bytes: [`Listed::results`]`.json()`. The HTTP layer writes
//! `{"count":…,"next":"<url>","previous":"<url>","results":` + those bytes + `}`; it builds the
//! URLs from the links because they depend on the request's address.
//!
//! The decoded rows (when a cache keeps them in process) ride along in
//! [`CachedValue::decoded`] as an `Arc<Vec<E>>`.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::scoping::Hidden;
use super::Listed;
use crate::cache::CachedValue;
use crate::entity::Entity;
use crate::error::{Error, Result};
use crate::query::{Page, PageLink};

/// The header line of a cached page.
#[derive(Serialize, Deserialize)]
struct Header {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    /// Written only when false, so that entries cached before the cap read as exact.
    #[serde(default = "exact", skip_serializing_if = "is_exact")]
    count_exact: bool,
    next: Option<PageLink>,
    previous: Option<PageLink>,
}

/// Serializes `page` into the cached form (see the module docs), keeping the rows decoded.
pub(super) fn encode<E: Entity>(page: Page<E>) -> Result<CachedValue> {
    let header = Header {
        count: page.count,
        count_exact: page.count_exact,
        next: page.next,
        previous: page.previous,
    };
    let mut writer = BytesMut::with_capacity(256 + 512 * page.items.len()).writer();
    serde_json::to_writer(&mut writer, &header).map_err(serialization)?;
    writer.get_mut().put_u8(b'\n');
    serde_json::to_writer(&mut writer, &page.items).map_err(serialization)?;
    Ok(CachedValue::from_json(writer.into_inner().freeze(), 0).with_decoded(Arc::new(page.items)))
}

/// The page in a cached value: the header parsed, the rows sliced out of the bytes.
pub(super) fn decode<E: Entity>(value: CachedValue) -> Result<Listed<E>> {
    let split = value
        .json
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or_else(|| corrupt("no header line"))?;
    let header: Header = serde_json::from_slice(&value.json[..split])
        .map_err(|error| Error::internal("cached list page has a bad header", error))?;
    let rows: Bytes = value.json.slice(split + 1..);
    Ok(Listed {
        next: header.next,
        previous: header.previous,
        count: header.count,
        count_exact: header.count_exact,
        results: super::Fetched::new(rows, 0, value.decoded::<Vec<E>>()),
    })
}

impl<E: Entity> Listed<E> {
    /// The same page with `hidden`'s fields removed from every row (the rows are no longer
    /// kept decoded: they lack fields the kind's type requires).
    pub(super) fn redacted(self, hidden: &Hidden) -> Result<Listed<E>> {
        let rows = hidden.redact(self.results.json())?;
        Ok(Listed {
            results: super::Fetched::new(rows, 0, None),
            ..self
        })
    }
}

fn exact() -> bool {
    true
}

fn is_exact(exact: &bool) -> bool {
    *exact
}

fn serialization(error: serde_json::Error) -> Error {
    Error::internal("a list page does not serialize", error)
}

fn corrupt(what: &str) -> Error {
    Error::Internal {
        message: format!("cached list page is corrupt: {what}"),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{DepartmentCategory, DepartmentInput, DepartmentStatus};
    use crate::{Department, RecordMeta};

    fn department(code: &str) -> Department {
        let input = DepartmentInput {
            code: code.to_owned(),
            name: format!("Department {code}"),
            kind: DepartmentCategory::Academic,
            parent_id: None,
            head_id: None,
            email: None,
            phone: None,
            status: DepartmentStatus::Active,
            custom_fields: Default::default(),
        };
        Department::from_input(input, RecordMeta::new(), "tester")
    }

    fn page() -> Page<Department> {
        Page {
            items: vec![department("CSE"), department("EEE")],
            next: Some(PageLink::Cursor("abc".to_owned())),
            previous: None,
            count: Some(2),
            count_exact: true,
        }
    }

    #[test]
    fn round_trips_through_the_bytes_alone() {
        let page = page();
        let mut cached = encode(page.clone()).expect("encodes");
        cached.decoded = None;
        let listed: Listed<Department> = decode(cached).expect("decodes");
        assert_eq!(listed.next, page.next);
        assert_eq!(listed.previous, None);
        assert_eq!(listed.count, Some(2));
        assert!(listed.count_exact);
        let rows = listed.results.value().expect("rows decode");
        assert_eq!(*rows, page.items);
        let array: serde_json::Value =
            serde_json::from_slice(listed.results.json()).expect("rows are a JSON array");
        assert_eq!(array.as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn a_count_that_stopped_at_the_cap_stays_a_lower_bound() {
        let mut capped = page();
        capped.count_exact = false;
        let cached = encode(capped).expect("encodes");
        assert!(cached
            .json
            .starts_with(br#"{"count":2,"count_exact":false,"#));
        let listed: Listed<Department> = decode(cached).expect("decodes");
        assert_eq!((listed.count, listed.count_exact), (Some(2), false));
        // Exact counts are written as before the cap existed.
        let exact = encode(page()).expect("encodes");
        assert!(exact.json.starts_with(br#"{"count":2,"next""#));
    }

    #[test]
    fn keeps_the_decoded_rows() {
        let cached = encode(page()).expect("encodes");
        let kept = cached
            .decoded::<Vec<Department>>()
            .expect("encode keeps the rows");
        let listed: Listed<Department> = decode(cached).expect("decodes");
        let served = listed.results.value().expect("decoded");
        assert!(Arc::ptr_eq(&kept, &served), "the rows are not parsed again");
    }

    #[test]
    fn corrupt_bytes_are_an_internal_error_not_a_panic() {
        for bytes in [&b"[]"[..], b"{oops\n[]", b""] {
            let cached = CachedValue::from_json(Bytes::copy_from_slice(bytes), 0);
            let error = decode::<Department>(cached).expect_err("corrupt");
            assert!(matches!(error, Error::Internal { .. }));
        }
    }
}
