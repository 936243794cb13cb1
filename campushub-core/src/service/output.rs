//! What service actions return.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::consistency::ConsistencyToken;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::PageLink;

/// A value read through the service: its JSON bytes (as cached; serve them as they are) and
/// the decoded value, decoded at most once and only when asked for.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    json: Bytes,
    version: i64,
    decoded: Arc<OnceLock<Arc<T>>>,
}

impl<T> Fetched<T> {
    /// From bytes, with the decoded value if it is already at hand.
    pub fn new(json: Bytes, version: i64, decoded: Option<Arc<T>>) -> Self {
        let cell = OnceLock::new();
        if let Some(value) = decoded {
            let _ = cell.set(value);
        }
        Fetched {
            json,
            version,
            decoded: Arc::new(cell),
        }
    }

    /// The JSON bytes.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The record version (0 for values that are not records).
    pub fn version(&self) -> i64 {
        self.version
    }
}

impl<T: DeserializeOwned> Fetched<T> {
    /// The decoded value.
    pub fn value(&self) -> Result<Arc<T>> {
        if let Some(value) = self.decoded.get() {
            return Ok(Arc::clone(value));
        }
        let value: T = serde_json::from_slice(&self.json)
            .map_err(|error| Error::internal("cached value does not decode", error))?;
        Ok(Arc::clone(self.decoded.get_or_init(|| Arc::new(value))))
    }
}

/// A list page read through the service: the links around it and its rows as a JSON array.
///
/// `results.json()` is the rows' JSON array exactly as cached, so a response body is
/// `{"count": …, "next": …, "previous": …, "results": ` + those bytes + `}` with no row
/// serialized again; `next` and `previous` are links the HTTP layer turns into URLs. The cached
/// form (a JSON header line with the links and count, a newline, then the rows) is described
/// in the `listing` module of the service and never leaves the service.
#[derive(Debug, Clone)]
pub struct Listed<E> {
    /// The next page, if any.
    pub next: Option<PageLink>,
    /// The previous page, if any.
    pub previous: Option<PageLink>,
    /// Total matching rows (page-number pages); a lower bound when `count_exact` is false.
    pub count: Option<u64>,
    /// `false` when the count stopped at the service's cap: at least `count` rows match
    /// (see [`crate::query::Page::count_exact`]).
    pub count_exact: bool,
    /// The rows, as a JSON array (and decoded on demand).
    pub results: Fetched<Vec<E>>,
}

/// A committed write: the record as stored and the commit's consistency token.
#[derive(Debug, Clone)]
pub struct WrittenRecord<E> {
    /// The record after the write.
    pub record: E,
    /// The commit's position, for read-your-writes.
    pub token: Option<ConsistencyToken>,
}

/// The errors of one row of a bulk call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = BulkRowError))]
pub struct RowError {
    /// The row's index in the request.
    pub index: usize,
    /// Field → messages (conflicts and missing rows included, under the field concerned).
    pub errors: ValidationErrors,
}

/// The outcome of a bulk call: how many rows succeeded, and why the others did not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BulkReport {
    /// Rows created, updated or deleted.
    pub succeeded: usize,
    /// One entry per failed row, in row order.
    pub errors: Vec<RowError>,
    /// The commit's position, when anything was written.
    #[serde(skip)]
    pub token: Option<ConsistencyToken>,
}

/// Counts of a kind's records, in total and grouped by the schema's statistics fields.
///
/// Serializes as `{"total": n, "by_status": {"ACTIVE": 10, ...}, ...}`; a null group is keyed
/// `"null"`; `"suppressed_below": 5` is there when small groups were withheld.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    /// Matching records.
    pub total: u64,
    /// `(field, [(value as text, count)])`, in the schema's order.
    pub groups: Vec<(&'static str, Vec<(String, u64)>)>,
    /// Set when groups smaller than this were withheld (and the total too, shown as 0, when
    /// it was smaller): see [`StatisticsPrivacy`](super::StatisticsPrivacy).
    pub suppressed_below: Option<u64>,
}

impl Statistics {
    /// The member that holds the counts grouped by `field`: `by_status`, `by_department`
    /// (for `department_id`).
    pub fn group_name(field: &str) -> String {
        format!("by_{}", field.strip_suffix("_id").unwrap_or(field))
    }
}

impl Serialize for Statistics {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries = self.groups.len() + 1 + usize::from(self.suppressed_below.is_some());
        let mut map = serializer.serialize_map(Some(entries))?;
        map.serialize_entry("total", &self.total)?;
        if let Some(min) = self.suppressed_below {
            map.serialize_entry("suppressed_below", &min)?;
        }
        for (field, counts) in &self.groups {
            let key = Statistics::group_name(field);
            let counts: serde_json::Map<String, serde_json::Value> = counts
                .iter()
                .map(|(value, count)| (value.clone(), (*count).into()))
                .collect();
            map.serialize_entry(&key, &counts)?;
        }
        map.end()
    }
}
