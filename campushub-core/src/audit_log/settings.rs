//! What the audit log records of a change: which fields keep their values private.

use std::collections::BTreeSet;

use serde_json::Value;

use super::entry::FieldChange;

/// The fields whose values the audit log does not record by default (only that they
/// changed): personal data of students and faculty beyond their names and institutional
/// email (birth date, mobile number, postal address), and anything named like a secret.
///
/// Names, statuses, departments, roles and every other field keep their values: those are
/// the changes an audit is asked about ("who suspended this student"), and a record's own
/// history is not more sensitive than the record. The private ones would copy personal data
/// into an append-only log kept for years, where erasing a person's record (GDPR) would not
/// reach it.
pub const DEFAULT_PRIVATE_FIELDS: &[&str] = &[
    "date_of_birth",
    "mobile",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
];

/// Substrings that make a field private whatever the settings: a field named like a secret
/// never has its value recorded.
const SECRET_WORDS: &[&str] = &["password", "secret", "token", "api_key"];

/// What the audit log records, set on the service builder
/// ([`crate::service::EntityServiceBuilder::audit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSettings {
    /// Field names (custom fields as `custom_fields.<name>`) recorded as changed without
    /// their values.
    private: BTreeSet<String>,
}

impl Default for AuditSettings {
    /// [`DEFAULT_PRIVATE_FIELDS`] private.
    fn default() -> Self {
        AuditSettings::recording_all().private(DEFAULT_PRIVATE_FIELDS.iter().copied())
    }
}

impl AuditSettings {
    /// Every field's values recorded (except those named like a secret).
    pub fn recording_all() -> Self {
        AuditSettings {
            private: BTreeSet::new(),
        }
    }

    /// Also keeps the values of `fields` private.
    pub fn private<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.private.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Records the values of `fields` after all (a default private field an institution
    /// wants kept; fields named like a secret stay private).
    pub fn public<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        for field in fields {
            self.private.remove(field);
        }
        self
    }

    /// Whether field `name`'s values stay out of the log.
    pub fn is_private(&self, name: &str) -> bool {
        self.private.contains(name) || named_like_a_secret(name)
    }

    /// The change of field `name` from `old` to `new`, as the log records it.
    pub(super) fn change(&self, name: &str, old: Value, new: Value) -> FieldChange {
        if self.is_private(name) {
            FieldChange::REDACTED
        } else {
            FieldChange::Values { old, new }
        }
    }
}

/// Whether `name` contains one of [`SECRET_WORDS`] (ASCII letters in any case). It runs for
/// every field of every audited write: a name of field length is lowercased once on the
/// stack, and each word found by `str::contains`; a longer one is compared window by window.
fn named_like_a_secret(name: &str) -> bool {
    const ON_STACK: usize = 64;
    if name.len() <= ON_STACK {
        let mut lower = [0u8; ON_STACK];
        let lower = &mut lower[..name.len()];
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        // Lowercasing ASCII letters keeps UTF-8 valid; should it not, nothing is a secret word.
        let lower = std::str::from_utf8(lower).unwrap_or_default();
        return SECRET_WORDS.iter().any(|word| lower.contains(word));
    }
    SECRET_WORDS.iter().any(|word| {
        name.as_bytes()
            .windows(word.len())
            .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_private_secrets_always_and_public_undoes_the_rest() {
        let settings = AuditSettings::default();
        assert!(settings.is_private("date_of_birth"));
        assert!(!settings.is_private("status"));
        let opened = settings.public(["date_of_birth", "password_hash"]);
        assert!(!opened.is_private("date_of_birth"));
        assert!(opened.is_private("password_hash"), "secrets stay private");
        let custom = AuditSettings::recording_all().private(["custom_fields.ssn"]);
        assert!(custom.is_private("custom_fields.ssn"));
        assert!(custom.is_private("Recovery_Token"), "in any case");
        assert!(custom.is_private("API_KEY"));
        assert!(
            !custom.is_private("tok"),
            "a part of a secret word is not one"
        );
        let long = format!("{}_Password", "x".repeat(70));
        assert!(
            custom.is_private(&long),
            "in a name longer than the stack's"
        );
        assert!(!custom.is_private(&"x".repeat(80)));
        assert!(custom.is_private("ünïcode_SECRET"), "beside other letters");
    }
}
