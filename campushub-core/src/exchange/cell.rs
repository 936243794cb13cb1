//! One spreadsheet cell, as the formats write and read it, and the OWASP escaping of text
//! that a spreadsheet program would run as a formula.

use chrono::NaiveDate;

/// A cell's value. CSV carries only [`Cell::Text`] (and [`Cell::Empty`]); XLSX carries
/// numbers, booleans and dates as themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value (an empty CSV field, a blank XLSX cell): `null` for a nullable field, the
    /// kind's default otherwise.
    Empty,
    /// Text, exactly as written.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with a fraction (XLSX keeps every number as a float).
    Number(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
}

/// The first characters that make a spreadsheet program read a cell as a formula (OWASP,
/// "CSV Injection"): `=`, `+`, `-`, `@`, and tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` made safe to open in a spreadsheet program: text starting with a formula character
/// gets a leading `'`, which spreadsheet programs show as text and do not evaluate.
pub fn escape_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) || is_escaped(text) {
        // An already escaped value is escaped again, so that unescaping gives it back.
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The value [`escape_formula`] wrote: one leading `'` removed where escaping put it.
pub fn unescape_formula(text: &str) -> &str {
    if is_escaped(text) {
        &text[1..]
    } else {
        text
    }
}

/// Whether `text` is a `'` followed by a formula character or by another escape.
fn is_escaped(text: &str) -> bool {
    text.strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(FORMULA_STARTS) || is_escaped(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_escaped_and_come_back() {
        for text in [
            "=1+1",
            "+91 98765",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=x",
            "''+x",
        ] {
            let escaped = escape_formula(text);
            assert!(escaped.starts_with('\''), "{text:?} → {escaped:?}");
            assert_eq!(unescape_formula(&escaped), text);
        }
    }

    #[test]
    fn plain_text_is_left_alone() {
        for text in ["Asha", "it's", "'quoted'", "", "a=b"] {
            assert_eq!(escape_formula(text), text);
            assert_eq!(unescape_formula(text), text);
        }
    }
}
