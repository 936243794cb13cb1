//! The canonical text of a [`ListQuery`]: equal for queries that select the same page, the
//! cache key of a result page.

use serde_json::{json, Value};

use super::{Filter, FilterField, FilterValue, ListQuery, Pagination};

impl ListQuery {
    /// A canonical text for the query (filters, search, ordering, page), equal for equal
    /// queries whatever the parameter order: the cache key of a result page.
    ///
    /// Filters are sorted, and the values of an `__in` filter sorted and deduplicated, so
    /// `status__in=A,B&gender=F` and `gender=F&status__in=B,A` share a fingerprint.
    pub fn fingerprint(&self) -> String {
        let page = match &self.pagination {
            Pagination::Cursor(None) => Value::Null,
            Pagination::Cursor(Some(position)) => json!({
                "back": position.backwards,
                "at": position.values,
                "id": position.id,
            }),
            Pagination::Number(number) => json!(number),
        };
        json!({
            "selection": self.selection_fingerprint(),
            "ordering": self.ordering_text(),
            "page": page,
            "page_size": self.page_size,
        })
        .to_string()
    }

    /// A canonical text for what the query selects (kind, filters, search), whatever the
    /// order and page: the key of a count that every page of a walk shares.
    pub fn selection_fingerprint(&self) -> String {
        let mut filters: Vec<String> = self.filters.iter().map(filter_text).collect();
        filters.sort();
        json!({
            "kind": self.kind.as_str(),
            "filters": filters,
            "search": self.search,
        })
        .to_string()
    }
}

/// One filter as canonical JSON text.
fn filter_text(filter: &Filter) -> String {
    let (custom, name) = match &filter.field {
        FilterField::Schema(spec) => (false, spec.name),
        FilterField::Custom { name, .. } => (true, name.as_str()),
    };
    let operand = match &filter.value {
        FilterValue::One(value) => json!(value),
        FilterValue::Many(values) => {
            let mut texts: Vec<String> = values.iter().map(|v| json!(v).to_string()).collect();
            texts.sort();
            texts.dedup();
            json!(texts)
        }
        FilterValue::Null(is_null) => json!({ "null": is_null }),
    };
    json!([custom, name, filter.op.suffix(), operand]).to_string()
}
