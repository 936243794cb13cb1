//! Matching a file's header row to a kind's columns: the export's headers exactly, then the
//! same headers written loosely (any case, spaces or hyphens for underscores), then a short
//! list of common aliases. A header that matches nothing is an error naming it.

use super::columns::Columns;
use crate::query::CUSTOM_PREFIX;

/// Common names for the built-in kinds' fields, after normalization (see [`normalize`]), and
/// the header each stands for. An alias applies only to a kind that has that column and
/// whose own headers do not already claim the name (a department's `phone` is its phone).
pub const ALIASES: &[(&str, &str)] = &[
    ("roll_no", "roll_number"),
    ("rollno", "roll_number"),
    ("roll", "roll_number"),
    ("emp_id", "employee_id"),
    ("employee_no", "employee_id"),
    ("employee_number", "employee_id"),
    ("staff_id", "employee_id"),
    ("dept", "department"),
    ("dept_code", "department"),
    ("department_code", "department"),
    ("dob", "date_of_birth"),
    ("birth_date", "date_of_birth"),
    ("birthdate", "date_of_birth"),
    ("email_address", "email"),
    ("e_mail", "email"),
    ("phone", "mobile"),
    ("phone_number", "mobile"),
    ("mobile_number", "mobile"),
    ("zip", "postal_code"),
    ("zip_code", "postal_code"),
    ("postcode", "postal_code"),
    ("pincode", "postal_code"),
    ("pin_code", "postal_code"),
    ("year", "year_of_study"),
    ("given_name", "first_name"),
    ("surname", "last_name"),
    ("family_name", "last_name"),
    ("address", "address_line1"),
    ("address1", "address_line1"),
    ("address2", "address_line2"),
    ("date_joined", "date_of_joining"),
    ("joining_date", "date_of_joining"),
];

/// A header written loosely, as it is compared: trimmed, lowercase, runs of spaces and
/// hyphens as one underscore; `cf_<name>` and `custom.<name>` as `cf.<name>`.
pub fn normalize(header: &str) -> String {
    let lower = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for part in lower.split([' ', '-']).filter(|part| !part.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    for prefix in ["cf_", "custom."] {
        if let Some(name) = out.strip_prefix(prefix) {
            return format!("{CUSTOM_PREFIX}{name}");
        }
    }
    out
}

/// For each header of a file, in order, the index of its column in `columns`.
///
/// # Errors
/// One `(header, message)` per header that matches no column or the column of an earlier
/// header; one on `key` when a natural key column is needed and missing.
pub fn match_headers(
    columns: &Columns,
    headers: &[String],
    key: Option<&str>,
) -> Result<Vec<usize>, Vec<(String, String)>> {
    let mut positions = Vec::with_capacity(headers.len());
    let mut errors = Vec::new();
    for header in headers {
        let Some(index) = column_of(columns, header) else {
            errors.push((
                header.clone(),
                format!(
                    "unknown column `{header}`; the columns are: {}",
                    columns.headers().collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        if let Some(earlier) = positions.iter().position(|p| *p == index) {
            errors.push((
                header.clone(),
                format!(
                    "`{header}` is the same column as `{}`, given before",
                    headers[earlier]
                ),
            ));
            // Keep positions aligned with headers.
        }
        positions.push(index);
    }
    if let Some(key) = key {
        let present = columns
            .by_header(key)
            .is_some_and(|(index, _)| positions.contains(&index));
        if !present {
            errors.push((
                key.to_owned(),
                format!("the column `{key}` is required: rows are matched by it"),
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(positions),
        false => Err(errors),
    }
}

/// The column `header` names: exactly, loosely, or through an alias.
fn column_of(columns: &Columns, header: &str) -> Option<usize> {
    if let Some((index, _)) = columns.by_header(header) {
        return Some(index);
    }
    let loose = normalize(header);
    if let Some((index, _)) = columns.by_header(&loose) {
        return Some(index);
    }
    let (_, target) = ALIASES.iter().find(|(alias, _)| *alias == loose)?;
    columns.by_header(target).map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Department, Entity, Student};

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn exact_loose_and_aliased_headers_match() {
        let columns = Columns::of(Student::schema(), &[], true);
        let positions = match_headers(
            &columns,
            &headers(&["Roll No", "First Name", "dept", "DOB", "\u{feff}email"]),
            Some("roll_number"),
        )
        .expect("all known");
        let named: Vec<&str> = positions
            .iter()
            .map(|i| columns.get(*i).expect("a column").header.as_str())
            .collect();
        assert_eq!(
            named,
            [
                "roll_number",
                "first_name",
                "department",
                "date_of_birth",
                "email"
            ]
        );
    }

    #[test]
    fn unknown_repeated_and_missing_key_columns_are_named() {
        let columns = Columns::of(Student::schema(), &[], true);
        let errors = match_headers(
            &columns,
            &headers(&["first_name", "shoe_size", "given_name"]),
            Some("roll_number"),
        )
        .expect_err("bad headers");
        let named: Vec<&str> = errors.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(named, ["shoe_size", "given_name", "roll_number"]);
        assert!(errors[0].1.contains("unknown column `shoe_size`"));
    }

    #[test]
    fn an_alias_does_not_override_a_kinds_own_column() {
        let columns = Columns::of(Department::schema(), &[], true);
        let positions =
            match_headers(&columns, &headers(&["code", "phone"]), Some("code")).expect("known");
        assert_eq!(columns.get(positions[1]).expect("column").header, "phone");
    }
}
