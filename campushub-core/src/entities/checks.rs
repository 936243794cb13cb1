//! Field checks shared by the built-in entities: text lengths, emails, phone numbers.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::ValidationErrors;

static MOBILE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
    Regex::new(r"^\+?\d{9,15}$").unwrap()
});

/// Records an error unless `value` has 1..=`max` characters after trimming.
pub(crate) fn required_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.add(field, "This field may not be blank.");
    } else {
        optional_text(errors, field, Some(value), max);
    }
}

/// Records an error if `value` is longer than `max` characters.
pub(crate) fn optional_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) {
    if let Some(value) = value {
        if value.chars().count() > max {
            errors.add(
                field,
                format!("Ensure this field has no more than {max} characters."),
            );
        }
    }
}

/// Whether `value` looks like an email address: one `@`, a non-empty local part, a dotted
/// domain, no white space, at most 254 characters.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// Records an error unless `value` is absent or an email address.
pub(crate) fn email(errors: &mut ValidationErrors, field: &str, value: Option<&str>) {
    if let Some(value) = value {
        if !is_email(value) {
            errors.add(field, "Enter a valid email address.");
        }
    }
}

/// Whether `value` is a phone number: an optional `+` and 9 to 15 digits.
pub(crate) fn is_phone(value: &str) -> bool {
    MOBILE.is_match(value)
}

/// Records an error unless `value` is absent or a phone number.
pub(crate) fn phone(errors: &mut ValidationErrors, field: &str, value: Option<&str>) {
    if let Some(value) = value {
        if !is_phone(value) {
            errors.add(
                field,
                "Enter a valid phone number: an optional + and 9 to 15 digits.",
            );
        }
    }
}

/// Records an error unless `min <= value <= max`.
pub(crate) fn range(errors: &mut ValidationErrors, field: &str, value: i64, min: i64, max: i64) {
    if !(min..=max).contains(&value) {
        errors.add(
            field,
            format!("Ensure this value is between {min} and {max}."),
        );
    }
}

/// Lowercases an email so uniqueness is case-insensitive.
pub(crate) fn normalize_email(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@uni.example.edu"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "", "a", "a@", "@b.co", "a@b", "a@b..co", "a b@c.de", "a@b@c.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(is_phone("+919876543210"));
        assert!(is_phone("987654321"));
        assert!(!is_phone("12345678"));
        assert!(!is_phone("+1234567890123456"));
        assert!(!is_phone("98765-43210"));
    }
}
