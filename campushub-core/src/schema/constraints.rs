//! What a field's values must be besides their type (lengths, a range, a pattern), declared
//! once on its [`FieldSpec`](super::FieldSpec): the body check ([`super::check`]) enforces the
//! declaration and the OpenAPI document states it, so the two cannot disagree.
//!
//! Patterns are written in the part of regular-expression syntax that ECMA-262 (which OpenAPI
//! 3.1 validators read), Python's `re` and the `regex` crate read alike: explicit character
//! classes (no `\s`, `\d` or `\w`, whose meaning differs between them), `\uXXXX` escapes,
//! `^`/`$` anchors, no look-around.

/// Constraints on the values of one field. Text bounds count characters (Unicode scalar
/// values), as JSON Schema's `maxLength` does; on a text list they apply to each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Constraints {
    /// The most characters a text value has.
    pub max_chars: Option<u32>,
    /// A pattern a text value must contain a match of (anchor it to match the whole value).
    pub pattern: Option<Pattern>,
    /// The smallest whole number allowed.
    pub minimum: Option<i64>,
    /// The largest whole number allowed.
    pub maximum: Option<i64>,
    /// Whether the items of a list must be distinct.
    pub unique_items: bool,
}

impl Constraints {
    /// No constraint besides the type.
    pub const NONE: Constraints = Constraints {
        max_chars: None,
        pattern: None,
        minimum: None,
        maximum: None,
        unique_items: false,
    };
}

/// A regular expression with the message a value that does not match it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// The expression, in the syntax the module documentation describes.
    pub regex: &'static str,
    /// What a value that does not match is told.
    pub message: &'static str,
}

impl Pattern {
    /// A pattern with its message.
    pub const fn new(regex: &'static str, message: &'static str) -> Self {
        Pattern { regex, message }
    }
}

/// The characters `str::trim` removes (Unicode `White_Space`), as the body of a character
/// class. Spelled out because `\s` means something else in each regex dialect.
macro_rules! white_space {
    () => {
        r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Text with at least one character that is not white space: what is left after trimming is
/// not empty.
pub const NON_BLANK: Pattern = Pattern::new(
    concat!("[^", white_space!(), "]"),
    "This field may not be blank.",
);

/// An email address: one `@` with something before it, a dotted domain of non-empty labels,
/// no white space.
pub const EMAIL: Pattern = Pattern::new(
    concat!(
        "^[^@",
        white_space!(),
        "]+@[^@.",
        white_space!(),
        r"]+(\.[^@.",
        white_space!(),
        "]+)+$"
    ),
    "Enter a valid email address.",
);

/// The longest email address (RFC 5321's path limit), in characters.
pub const EMAIL_MAX_CHARS: u32 = 254;

/// A phone number: an optional `+` and 9 to 15 ASCII digits.
pub const PHONE: Pattern = Pattern::new(
    r"^\+?[0-9]{9,15}$",
    "Enter a valid phone number: an optional + and 9 to 15 digits.",
);

/// A UUID in its hyphenated form, the one the API writes (either case is read).
pub const UUID: Pattern = Pattern::new(
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    "Enter a UUID such as 0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e.",
);

/// A calendar date, `YYYY-MM-DD` (the date must also exist: the check parses it).
pub const DATE: Pattern = Pattern::new(
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "Enter a date in the form YYYY-MM-DD.",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regex_cache::compiled;

    fn matches(pattern: Pattern, text: &str) -> bool {
        compiled(pattern.regex)
            .map(|regex| regex.is_match(text))
            .unwrap_or_else(|error| panic!("{}: {error}", pattern.regex))
    }

    /// The non-blank pattern and `str::trim` agree on every character: a one-character value
    /// is blank for one exactly when it is for the other. Every white-space character lies
    /// below U+3100; above it, one character in 97 is tried.
    #[test]
    fn non_blank_agrees_with_trim_on_every_character() {
        let characters = (0..=0x3100).chain((0x3101..=0x10FFFF).step_by(97));
        for c in characters.filter_map(char::from_u32) {
            let text = c.to_string();
            assert_eq!(
                matches(NON_BLANK, &text),
                !text.trim().is_empty(),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@uni.example.edu", "é@ü.de"] {
            assert!(matches(EMAIL, good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.co",
            "a@b",
            "a@b..co",
            "a b@c.de",
            "a@b@c.de",
            "a@b.co\n",
            "a@.b",
            "a@b.",
            "a@b.co\u{3000}",
        ] {
            assert!(!matches(EMAIL, bad), "{bad:?}");
        }
    }

    #[test]
    fn phones_are_ascii_digits() {
        assert!(matches(PHONE, "+919876543210"));
        assert!(matches(PHONE, "987654321"));
        for bad in ["12345678", "+1234567890123456", "98765-43210", "٩٨٧٦٥٤٣٢١٠"] {
            assert!(!matches(PHONE, bad), "{bad}");
        }
    }

    #[test]
    fn uuids_are_hyphenated() {
        assert!(matches(UUID, "0191C6A2-5b1e-7cc3-8d1e-5f0a2b3c4d5e"));
        for bad in [
            "",
            "0191c6a25b1e7cc38d1e5f0a2b3c4d5e",
            "{0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e}",
            "urn:uuid:0191c6a2-5b1e-7cc3-8d1e-5f0a2b3c4d5e",
        ] {
            assert!(!matches(UUID, bad), "{bad}");
        }
    }
}
