//! A record's input form taken apart into its fields as it serializes, without the JSON
//! object in between: the diff of every audited row starts here, and a bulk write diffs a
//! thousand rows, so building (and sorting) one map less per row shows in its throughput.
//!
//! [`input_fields`] drives the input's own `Serialize` with [`Fields`], a serializer that
//! accepts only what an input form is (a struct, or a map when it flattens a block such as
//! the person's fields) and turns each field's value into JSON on its own. Anything else is
//! refused, and the caller falls back to the JSON document ([`super::flatten`]).

use serde::ser::{self, Impossible, Serialize};
use serde_json::Value;

/// The field whose object value is a map of custom fields, each diffed on its own.
pub(super) const CUSTOM_FIELDS: &str = "custom_fields";

/// The fields of `input` (an input form), named as [`super::flatten`] names them (custom
/// fields as `custom_fields.<name>`), null values left out, sorted by name; `None` when
/// `input` does not serialize as a struct or a map of named fields.
pub(super) fn input_fields<T: Serialize + ?Sized>(input: &T) -> Option<Vec<(String, Value)>> {
    // Room for a person's kind and a few custom fields: growing the vector a field at a time
    // was a sixth of a created student's diff.
    let mut fields = Fields(Vec::with_capacity(FIELDS_EXPECTED));
    input.serialize(&mut fields).ok()?;
    let mut fields = fields.0;
    // Names are unique (a struct's fields, a map's keys): an unstable sort orders them alike.
    fields.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    Some(fields)
}

/// How many fields an input form is expected to have at most (a student's input has 24).
const FIELDS_EXPECTED: usize = 32;

/// Collects named fields; refuses every other shape with [`NotFields`].
struct Fields(Vec<(String, Value)>);

impl Fields {
    /// Adds field `name` with `value` (exploding the custom fields' object, leaving nulls
    /// out).
    fn push<V: Serialize + ?Sized>(&mut self, name: &str, value: &V) -> Result<(), NotFields> {
        match serde_json::to_value(value).map_err(|_| NotFields)? {
            Value::Null => {}
            Value::Object(custom) if name == CUSTOM_FIELDS => {
                for (custom_name, value) in custom {
                    if !value.is_null() {
                        self.0
                            .push((format!("{CUSTOM_FIELDS}.{custom_name}"), value));
                    }
                }
            }
            value => self.0.push((name.to_owned(), value)),
        }
        Ok(())
    }
}

/// The value is not an input form's shape (or a field did not serialize to JSON).
#[derive(Debug)]
struct NotFields;

impl std::fmt::Display for NotFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a struct or map of named fields")
    }
}

impl std::error::Error for NotFields {}

impl ser::Error for NotFields {
    fn custom<M: std::fmt::Display>(_message: M) -> Self {
        NotFields
    }
}

/// Refuses a shape that is not named fields.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, NotFields> { Err(NotFields) })*
    };
}

impl<'a> ser::Serializer for &'a mut Fields {
    type Ok = ();
    type Error = NotFields;
    type SerializeSeq = Impossible<(), NotFields>;
    type SerializeTuple = Impossible<(), NotFields>;
    type SerializeTupleStruct = Impossible<(), NotFields>;
    type SerializeTupleVariant = Impossible<(), NotFields>;
    type SerializeMap = FieldMap<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotFields>;

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotFields> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), NotFields> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), NotFields> {
        Err(NotFields)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotFields> {
        Err(NotFields)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotFields> {
        Err(NotFields)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<FieldMap<'a>, NotFields> {
        self.0.reserve(len.unwrap_or(0));
        Ok(FieldMap {
            fields: self,
            key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Self, NotFields> {
        self.0.reserve(len);
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotFields> {
        Err(NotFields)
    }
}

impl ser::SerializeStruct for &mut Fields {
    type Ok = ();
    type Error = NotFields;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NotFields> {
        self.push(name, value)
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

/// A map of named fields (what a struct flattening another serializes as): string keys only.
struct FieldMap<'a> {
    fields: &'a mut Fields,
    /// The key whose value comes next (keys and values may come apart).
    key: Option<String>,
}

impl ser::SerializeMap for FieldMap<'_> {
    type Ok = ();
    type Error = NotFields;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotFields> {
        match serde_json::to_value(key) {
            Ok(Value::String(key)) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(NotFields),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotFields> {
        let key = self.key.take().ok_or(NotFields)?;
        self.fields.push(&key, value)
    }

    fn end(self) -> Result<(), NotFields> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::input_fields;
    use crate::audit_log::flatten;

    #[derive(Serialize)]
    struct Block {
        given: String,
        middle: Option<String>,
    }

    #[derive(Serialize)]
    struct Input {
        #[serde(flatten)]
        person: Block,
        code: &'static str,
        credits: i64,
        tags: Vec<&'static str>,
        custom_fields: BTreeMap<&'static str, serde_json::Value>,
    }

    #[test]
    fn fields_are_those_of_the_json_document_flattened_in_name_order() {
        let custom = BTreeMap::from([
            ("wing", json!("E")),
            ("floor", json!(2)),
            ("x", json!(null)),
        ]);
        let input = Input {
            person: Block {
                given: "Ann".to_owned(),
                middle: None,
            },
            code: "CS1",
            credits: 4,
            tags: vec!["a", "b"],
            custom_fields: custom,
        };
        let fields = input_fields(&input).expect("an input form");
        let document: Vec<_> = flatten(json!(input)).into_iter().collect();
        assert_eq!(fields, document);
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "code",
                "credits",
                "custom_fields.floor",
                "custom_fields.wing",
                "given",
                "tags"
            ]
        );
    }

    #[test]
    fn a_value_that_is_not_named_fields_is_refused() {
        assert_eq!(input_fields(&42), None);
        assert_eq!(input_fields(&["a", "b"]), None);
        assert_eq!(input_fields(&BTreeMap::from([(1, "one")])), None);
    }
}
