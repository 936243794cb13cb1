//! Relations between kinds: a kind declares which of its fields reference which kind and what
//! of the referenced record reads embed, and every store attaches that summary the same way.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::value::Scalar;

// Declared with the rest of a kind's schema; re-exported here, beside the summaries they
// produce. `Relation::to` and `Relation::id_in` are in `entity.rs` (they name the `Entity` trait).
pub use crate::schema::{Embed, Relation};

/// An embedded summary of a referenced record: its id and the fields its [`Embed`] names.
///
/// It serializes flat, `{"id": ..., "code": ..., "name": ...}`, so a kind may hold it as is
/// or convert it to a typed summary of the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    /// The referenced record's id.
    pub id: Uuid,
    /// The embedded fields as JSON, by name.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Embedded {
    /// The summary of the record `id` whose embedded fields have `values`, in the order of
    /// `embed.fields` (`None` for a null field).
    pub fn new(id: Uuid, embed: &Embed, values: impl IntoIterator<Item = Option<Scalar>>) -> Self {
        let fields = embed
            .fields
            .iter()
            .zip(values)
            .map(|(name, value)| {
                let value = value.as_ref().map_or(Value::Null, Scalar::to_json);
                ((*name).to_owned(), value)
            })
            .collect();
        Embedded { id, fields }
    }

    /// The embedded text field `name`, if it is present and text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_embedded_summary_serializes_flat_and_round_trips() {
        let id = Uuid::new_v4();
        let embed = Embed::new("department", &["code", "name"]);
        let summary = Embedded::new(
            id,
            &embed,
            [Some("CSE".into()), Some("Computer Science".into())],
        );
        let value = serde_json::to_value(&summary).expect("serializes");
        assert_eq!(
            value,
            json!({"id": id, "code": "CSE", "name": "Computer Science"})
        );
        let back: Embedded = serde_json::from_value(value).expect("deserializes");
        assert_eq!(back.text("code"), Some("CSE"));
        assert_eq!(back, summary);
    }
}
