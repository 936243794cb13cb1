//! A record's values as cells (export) and cells as a body's values (import), by column.

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};

use super::cell::{escape_formula, unescape_formula, Cell};
use super::columns::{Column, Source};
use crate::custom_fields::CustomFieldType;
use crate::schema::FieldType;

/// The separator of a multiselect custom field's choices in a cell (`A; B`).
pub const LIST_SEPARATOR: &str = "; ";

/// The cell of `column` for `record`, a record as a read answers it (JSON, embedded
/// summaries included); text is escaped against formula injection.
pub fn cell_of(column: &Column, record: &Map<String, Value>) -> Cell {
    let value = match &column.source {
        Source::Field(spec) => record.get(spec.name),
        Source::Reference {
            embedded_as, key, ..
        } => record
            .get(*embedded_as)
            .and_then(|summary| summary.get(*key)),
        Source::Custom { name, .. } => record
            .get("custom_fields")
            .and_then(|values| values.get(name)),
    };
    match value {
        None | Some(Value::Null) => Cell::Empty,
        Some(value) => typed_cell(column, value),
    }
}

/// The cell of a non-null value.
fn typed_cell(column: &Column, value: &Value) -> Cell {
    let dated = matches!(
        column.source,
        Source::Field(spec) if spec.ty == FieldType::Date
    ) || matches!(
        column.source,
        Source::Custom {
            ty: CustomFieldType::Date,
            ..
        }
    );
    match value {
        Value::String(text) if dated => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Cell::Date(date),
            Err(_) => text_cell(text),
        },
        Value::Array(items) if is_multiselect(column) => {
            let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if texts.len() == items.len() && !texts.iter().any(|t| t.contains(';')) {
                text_cell(&texts.join(LIST_SEPARATOR))
            } else {
                text_cell(&value.to_string())
            }
        }
        _ => plain_cell(value),
    }
}

/// The cell of a JSON value without a column to type it: booleans and numbers as
/// themselves, text escaped, arrays and objects as their JSON text.
pub(super) fn plain_cell(value: &Value) -> Cell {
    match value {
        Value::Bool(flag) => Cell::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(whole) => Cell::Int(whole),
            None => Cell::Number(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => text_cell(text),
        Value::Array(_) | Value::Object(_) => text_cell(&value.to_string()),
        Value::Null => Cell::Empty,
    }
}

/// Text as a cell: empty text is an empty cell; anything else escaped against formulas.
pub(super) fn text_cell(text: &str) -> Cell {
    if text.is_empty() {
        return Cell::Empty;
    }
    Cell::Text(escape_formula(text).into_owned())
}

fn is_multiselect(column: &Column) -> bool {
    matches!(
        column.source,
        Source::Custom {
            ty: CustomFieldType::Multiselect,
            ..
        }
    )
}

/// What an import makes of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Leave the field out of the body (an empty cell of a field that is not nullable: the
    /// kind's default on create, unchanged on update).
    Absent,
    /// The field's value.
    Value(Value),
    /// The natural key of a referenced record, to be resolved to its id.
    Key(String),
}

/// The body value of `cell` in `column`, or a message saying what the cell should hold.
///
/// # Errors
/// A message naming the expected form (`expected a whole number`, `expected a date
/// (YYYY-MM-DD)`).
pub fn parse_cell(column: &Column, cell: &Cell) -> Result<Parsed, String> {
    if let Cell::Text(text) = cell {
        if text.trim().is_empty() {
            return parse_cell(column, &Cell::Empty);
        }
    }
    match &column.source {
        Source::Field(spec) => {
            if *cell == Cell::Empty {
                return Ok(match spec.nullable {
                    true => Parsed::Value(Value::Null),
                    false => Parsed::Absent,
                });
            }
            field_value(spec.ty, cell).map(Parsed::Value)
        }
        Source::Reference { field, .. } => match cell {
            Cell::Empty if field.nullable => Ok(Parsed::Value(Value::Null)),
            Cell::Empty => Ok(Parsed::Absent),
            other => Ok(Parsed::Key(as_text(other))),
        },
        // An empty custom-field cell leaves the value as it is (none on create): a file cannot
        // tell a value left out from one to clear.
        Source::Custom { ty, .. } => match cell {
            Cell::Empty => Ok(Parsed::Absent),
            other => custom_value(*ty, other).map(Parsed::Value),
        },
    }
}

/// A cell's text: text unescaped, numbers without a needless fraction, dates ISO.
fn as_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => unescape_formula(text).to_owned(),
        Cell::Int(whole) => whole.to_string(),
        Cell::Number(number) => match whole_number(*number) {
            Some(whole) => whole.to_string(),
            None => number.to_string(),
        },
        Cell::Bool(flag) => flag.to_string(),
        Cell::Date(date) => date.format("%Y-%m-%d").to_string(),
    }
}

/// `number` as an `i64` when it has no fraction and fits.
fn whole_number(number: f64) -> Option<i64> {
    // `as` saturates; the round trip tells whether the value was whole and in range.
    let whole = number as i64;
    (number.fract() == 0.0 && whole as f64 == number).then_some(whole)
}

fn field_value(ty: FieldType, cell: &Cell) -> Result<Value, String> {
    match ty {
        FieldType::Text | FieldType::DateTime | FieldType::Uuid => Ok(Value::String(as_text(cell))),
        FieldType::Choice(choices) => {
            let text = as_text(cell).trim().to_uppercase();
            match choices.contains(&text.as_str()) {
                true => Ok(Value::String(text)),
                false => Err(format!("expected one of {}", choices.join(", "))),
            }
        }
        FieldType::Int => int_value(cell).map(Value::from),
        FieldType::Number => number_value(cell),
        FieldType::Bool => bool_value(cell).map(Value::Bool),
        FieldType::Date => date_value(cell),
        FieldType::Object | FieldType::TextList | FieldType::Json => {
            serde_json::from_str(&as_text(cell)).map_err(|_| "expected JSON".to_owned())
        }
    }
}

fn custom_value(ty: CustomFieldType, cell: &Cell) -> Result<Value, String> {
    match ty {
        CustomFieldType::Number => number_value(cell),
        CustomFieldType::Date => date_value(cell),
        CustomFieldType::Boolean => bool_value(cell).map(Value::Bool),
        CustomFieldType::Multiselect => {
            let text = as_text(cell);
            if text.trim_start().starts_with('[') {
                return serde_json::from_str(&text)
                    .map_err(|_| "expected choices separated by `;`, or a JSON array".to_owned());
            }
            Ok(Value::Array(
                text.split(';')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            ))
        }
        _ => Ok(Value::String(as_text(cell))),
    }
}

fn int_value(cell: &Cell) -> Result<i64, String> {
    const EXPECTED: &str = "expected a whole number";
    match cell {
        Cell::Int(whole) => Ok(*whole),
        Cell::Number(number) => whole_number(*number).ok_or_else(|| EXPECTED.to_owned()),
        Cell::Text(text) => text.trim().parse().map_err(|_| EXPECTED.to_owned()),
        _ => Err(EXPECTED.to_owned()),
    }
}

fn number_value(cell: &Cell) -> Result<Value, String> {
    const EXPECTED: &str = "expected a number";
    let number = match cell {
        Cell::Int(whole) => return Ok(Value::from(*whole)),
        Cell::Number(number) => *number,
        Cell::Text(text) => {
            let text = text.trim();
            if let Ok(whole) = text.parse::<i64>() {
                return Ok(Value::from(whole));
            }
            text.parse::<f64>().map_err(|_| EXPECTED.to_owned())?
        }
        _ => return Err(EXPECTED.to_owned()),
    };
    if let Some(whole) = whole_number(number) {
        return Ok(Value::from(whole));
    }
    Number::from_f64(number)
        .map(Value::Number)
        .ok_or_else(|| EXPECTED.to_owned())
}

fn bool_value(cell: &Cell) -> Result<bool, String> {
    const EXPECTED: &str = "expected true or false";
    match cell {
        Cell::Bool(flag) => Ok(*flag),
        Cell::Int(1) => Ok(true),
        Cell::Int(0) => Ok(false),
        Cell::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(EXPECTED.to_owned()),
        },
        _ => Err(EXPECTED.to_owned()),
    }
}

fn date_value(cell: &Cell) -> Result<Value, String> {
    const EXPECTED: &str = "expected a date (YYYY-MM-DD)";
    let date = match cell {
        Cell::Date(date) => *date,
        Cell::Text(text) => {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| EXPECTED.to_owned())?
        }
        _ => return Err(EXPECTED.to_owned()),
    };
    Ok(Value::String(date.format("%Y-%m-%d").to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Columns;
    use crate::{Entity, Student};
    use serde_json::json;

    fn column(header: &str) -> Column {
        let columns = Columns::of(Student::schema(), &[], true);
        columns.by_header(header).expect("a column").1.clone()
    }

    #[test]
    fn typed_values_become_typed_cells_and_come_back() {
        let record = json!({
            "roll_number": "=R1", "year_of_study": 2, "admission_date": "2024-07-01",
            "department": {"id": "x", "code": "CSE", "name": "Computing"},
            "department_id": "x", "status": "ACTIVE"
        });
        let record = record.as_object().expect("object");
        let roll = column("roll_number");
        assert_eq!(cell_of(&roll, record), Cell::Text("'=R1".into()));
        assert_eq!(
            parse_cell(&roll, &cell_of(&roll, record)),
            Ok(Parsed::Value(json!("=R1")))
        );
        let year = column("year_of_study");
        assert_eq!(cell_of(&year, record), Cell::Int(2));
        let date = column("admission_date");
        let cell = cell_of(&date, record);
        assert!(matches!(cell, Cell::Date(_)));
        assert_eq!(
            parse_cell(&date, &cell),
            Ok(Parsed::Value(json!("2024-07-01")))
        );
        let department = column("department");
        assert_eq!(cell_of(&department, record), Cell::Text("CSE".into()));
        assert_eq!(
            parse_cell(&department, &Cell::Text("CSE".into())),
            Ok(Parsed::Key("CSE".into()))
        );
    }

    #[test]
    fn bad_cells_say_what_they_should_hold() {
        let year = column("year_of_study");
        assert_eq!(
            parse_cell(&year, &Cell::Text("two".into())),
            Err("expected a whole number".to_owned())
        );
        assert_eq!(
            parse_cell(&year, &Cell::Number(2.5)),
            Err("expected a whole number".to_owned())
        );
        assert_eq!(
            parse_cell(&year, &Cell::Number(2.0)),
            Ok(Parsed::Value(json!(2)))
        );
        let date = column("admission_date");
        assert!(parse_cell(&date, &Cell::Text("01/07/2024".into()))
            .expect_err("not ISO")
            .contains("YYYY-MM-DD"));
        let status = column("status");
        assert_eq!(
            parse_cell(&status, &Cell::Text("active".into())),
            Ok(Parsed::Value(json!("ACTIVE")))
        );
        assert!(parse_cell(&status, &Cell::Text("gone".into())).is_err());
    }

    #[test]
    fn empty_cells_are_null_when_nullable_and_absent_otherwise() {
        assert_eq!(
            parse_cell(&column("department"), &Cell::Empty),
            Ok(Parsed::Value(Value::Null))
        );
        assert_eq!(
            parse_cell(&column("section"), &Cell::Text("  ".into())),
            Ok(Parsed::Absent)
        );
    }
}
