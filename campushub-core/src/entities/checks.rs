//! Checks shared by the built-in entities and custom-field values: emails and phone numbers
//! by the same patterns the schemas declare (so a custom field of type `email` takes what a
//! person's `email` takes), and the stored form of an email.

use crate::regex_cache::compiled;
use crate::schema::constraints::{Pattern, EMAIL, EMAIL_MAX_CHARS, PHONE};

/// Whether `value` matches `pattern` (a declared pattern, which compiles: the schema tests
/// compile every one).
fn matches(pattern: Pattern, value: &str) -> bool {
    compiled(pattern.regex).is_ok_and(|regex| regex.is_match(value))
}

/// Whether `value` is an email address as [`EMAIL`] says, of at most [`EMAIL_MAX_CHARS`]
/// characters.
pub(crate) fn is_email(value: &str) -> bool {
    value.chars().count() <= EMAIL_MAX_CHARS as usize && matches(EMAIL, value)
}

/// Whether `value` is a phone number: an optional `+` and 9 to 15 digits ([`PHONE`]).
pub(crate) fn is_phone(value: &str) -> bool {
    matches(PHONE, value)
}

/// `value` without leading and trailing whitespace.
pub(crate) fn trimmed(value: String) -> String {
    match value.trim() {
        trim if trim.len() == value.len() => value,
        trim => trim.to_owned(),
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
        let long = format!("{}@b.co", "a".repeat(250));
        for bad in [
            "", "a", "a@", "@b.co", "a@b", "a@b..co", "a b@c.de", "a@b@c.de", &long,
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
