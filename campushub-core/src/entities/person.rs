//! The person block shared by students and faculty: name, contact details, date of birth.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{checks, string_enum};
use crate::audit::AUDIT_FIELDS;
use crate::error::ValidationErrors;
use crate::meta::now_micros;
use crate::schema::constraints::{EMAIL, EMAIL_MAX_CHARS, PHONE};
use crate::schema::{FieldSpec, FieldType, Ops};
use crate::value::Scalar;

string_enum! {
    /// Gender as recorded by the registry.
    Gender {
        /// Male.
        Male => "M",
        /// Female.
        Female => "F",
        /// Other or not stated.
        Other => "O",
    }
}

/// Names, birth date, gender, contact and address of a student or faculty member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Given name (required, ≤ 100 characters).
    pub first_name: String,
    /// Middle name.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// Family name (required, ≤ 100 characters).
    pub last_name: String,
    /// Date of birth (not in the future).
    pub date_of_birth: NaiveDate,
    /// Gender.
    pub gender: Gender,
    /// Email address, unique per kind, stored lowercase.
    #[serde(default)]
    pub email: Option<String>,
    /// Mobile number: an optional `+` and 9 to 15 digits.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Address, first line.
    #[serde(default)]
    pub address_line1: Option<String>,
    /// Address, second line.
    #[serde(default)]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State or province.
    #[serde(default)]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(default)]
    pub country: Option<String>,
}

/// The person fields a create body must carry (the rest default to empty).
pub const PERSON_REQUIRED: &[&str] = &["first_name", "last_name", "date_of_birth", "gender"];

/// The writable names of the person block.
pub const PERSON_FIELDS: &[&str] = &[
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "gender",
    "email",
    "mobile",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
];

/// Read-only names of the person kinds: audit fields and the embedded department.
pub(crate) const PERSON_READ_ONLY: &[&str] = &[AUDIT_FIELDS[0], AUDIT_FIELDS[1], "department"];

/// Schema fields of the person block: the filterable, searchable names and dates, and the
/// contact and address fields a body carries, each with what its values must be.
pub(crate) const PERSON_SPECS: [FieldSpec; 13] = [
    FieldSpec::new("first_name", FieldType::Text)
        .filter(Ops::STRING)
        .order()
        .text(100),
    FieldSpec::new("middle_name", FieldType::Text)
        .filter(Ops::STRING)
        .nullable()
        .max_chars(100),
    FieldSpec::new("last_name", FieldType::Text)
        .filter(Ops::STRING)
        .order()
        .text(100),
    FieldSpec::new("email", FieldType::Text)
        .personal()
        .filter(Ops::STRING)
        .nullable()
        .max_chars(EMAIL_MAX_CHARS)
        .pattern(EMAIL),
    FieldSpec::new("gender", FieldType::Choice(Gender::ALL))
        .filter(Ops::EXACT)
        .choices_named("Gender"),
    FieldSpec::new("date_of_birth", FieldType::Date)
        .personal()
        .filter(Ops::ORDERED)
        .order(),
    FieldSpec::new("city", FieldType::Text)
        .filter(Ops::STRING)
        .nullable()
        .max_chars(100),
    FieldSpec::new("mobile", FieldType::Text)
        .personal()
        .optional()
        .pattern(PHONE),
    FieldSpec::new("address_line1", FieldType::Text)
        .personal()
        .optional()
        .max_chars(100),
    FieldSpec::new("address_line2", FieldType::Text)
        .personal()
        .optional()
        .max_chars(100),
    FieldSpec::new("state", FieldType::Text)
        .optional()
        .max_chars(100),
    FieldSpec::new("postal_code", FieldType::Text)
        .optional()
        .max_chars(20),
    FieldSpec::new("country", FieldType::Text)
        .optional()
        .max_chars(100),
];

/// The searchable person fields.
pub(crate) const PERSON_SEARCH: [&str; 4] = ["first_name", "middle_name", "last_name", "email"];

impl Person {
    /// Normalizes stored forms: trims names, lowercases the email.
    pub(crate) fn normalize(&mut self) {
        self.email = checks::normalize_email(self.email.take());
        self.first_name = self.first_name.trim().to_owned();
        self.last_name = self.last_name.trim().to_owned();
    }

    /// Records the person rules its fields' declarations cannot state: a date of birth is not
    /// in the future.
    pub(crate) fn validate(&self, errors: &mut ValidationErrors) {
        if self.date_of_birth > now_micros().date_naive() {
            errors.add("date_of_birth", "Date of birth cannot be in the future.");
        }
    }

    /// The kind's own unique key followed by the email, when there is one: the unique values
    /// of a person record.
    pub(crate) fn unique_values(&self, key: (&'static str, String)) -> Vec<(&'static str, String)> {
        let email = self.email.clone().map(|email| ("email", email));
        std::iter::once(key).chain(email).collect()
    }

    /// The value of person field `name`, if it is one.
    pub(crate) fn field(&self, name: &str) -> Option<Option<Scalar>> {
        let text = |v: &Option<String>| v.clone().map(Scalar::Text);
        Some(match name {
            "first_name" => Some(Scalar::Text(self.first_name.clone())),
            "middle_name" => text(&self.middle_name),
            "last_name" => Some(Scalar::Text(self.last_name.clone())),
            "date_of_birth" => Some(Scalar::Date(self.date_of_birth)),
            "gender" => Some(Scalar::Text(self.gender.as_str().to_owned())),
            "email" => text(&self.email),
            "mobile" => text(&self.mobile),
            "city" => text(&self.city),
            "state" => text(&self.state),
            "country" => text(&self.country),
            "postal_code" => text(&self.postal_code),
            _ => return None,
        })
    }
}
