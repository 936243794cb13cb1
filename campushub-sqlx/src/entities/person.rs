//! Columns of the person block shared by students and faculty.

use campushub_core::entities::{Audit, Person};

use super::audit::{audited_columns, audited_values};
use crate::row::SqlRow;
use crate::table::Column;
use crate::value::{ColType, SqlValue};
use crate::Result;

/// The person block's columns, in the order of [`person_values`].
const PERSON_COLUMNS: [Column; 13] = [
    Column::new("first_name", ColType::Text),
    Column::new("middle_name", ColType::Text),
    Column::new("last_name", ColType::Text),
    Column::new("date_of_birth", ColType::Date),
    Column::new("gender", ColType::Text),
    Column::new("email", ColType::Text),
    Column::new("mobile", ColType::Text),
    Column::new("address_line1", ColType::Text),
    Column::new("address_line2", ColType::Text),
    Column::new("city", ColType::Text),
    Column::new("state", ColType::Text),
    Column::new("postal_code", ColType::Text),
    Column::new("country", ColType::Text),
];

/// The columns of a person kind: the person block, the kind's `own` columns, the audit
/// columns.
pub(super) fn person_kind_columns(own: &[Column]) -> Vec<Column> {
    audited_columns(&[&PERSON_COLUMNS[..], own].concat())
}

/// The values of a person kind, in the order of [`person_kind_columns`].
pub(super) fn person_kind_values(
    person: &Person,
    own: impl IntoIterator<Item = SqlValue>,
    audit: &Audit,
) -> Vec<SqlValue> {
    audited_values(person_values(person).into_iter().chain(own), audit)
}

/// The person block's values.
fn person_values(person: &Person) -> Vec<SqlValue> {
    vec![
        person.first_name.clone().into(),
        person.middle_name.clone().into(),
        person.last_name.clone().into(),
        person.date_of_birth.into(),
        person.gender.as_str().into(),
        person.email.clone().into(),
        person.mobile.clone().into(),
        person.address_line1.clone().into(),
        person.address_line2.clone().into(),
        person.city.clone().into(),
        person.state.clone().into(),
        person.postal_code.clone().into(),
        person.country.clone().into(),
    ]
}

/// The person block read from `row`.
pub(super) fn person_from_row(row: &SqlRow<'_>) -> Result<Person> {
    Ok(Person {
        first_name: row.text("first_name")?,
        middle_name: row.opt_text("middle_name")?,
        last_name: row.text("last_name")?,
        date_of_birth: row.date("date_of_birth")?,
        gender: row.choice("gender")?,
        email: row.opt_text("email")?,
        mobile: row.opt_text("mobile")?,
        address_line1: row.opt_text("address_line1")?,
        address_line2: row.opt_text("address_line2")?,
        city: row.opt_text("city")?,
        state: row.opt_text("state")?,
        postal_code: row.opt_text("postal_code")?,
        country: row.opt_text("country")?,
    })
}
