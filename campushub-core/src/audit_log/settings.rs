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
/// every field of every audited write, so it is one pass over the name's bytes comparing each
/// word where its first letter appears: `str::contains` per word set up a searcher for each of
/// them, which cost a tenth of a created student's diff.
fn named_like_a_secret(name: &str) -> bool {
    let name = name.as_bytes();
    (0..name.len()).any(|start| {
        let rest = &name[start..];
        SECRET_WORDS.iter().any(|word| {
            let word = word.as_bytes();
            rest.len() >= word.len()
                && rest[0].eq_ignore_ascii_case(&word[0])
                && rest[..word.len()].eq_ignore_ascii_case(word)
        })
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

    /// The one-pass check agrees with lowercasing the name and searching each word, on names
    /// pieced together from other letters and whole or cut secret words in mixed case (seeded
    /// splitmix64, so a failure replays).
    #[test]
    fn the_secret_check_agrees_with_lowercase_and_contains() {
        let others: Vec<char> = "ab_Zé9".chars().collect();
        let mut state = 0x005E_C2E7_u64;
        let mut next = |below: usize| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % below as u64) as usize
        };
        let (mut secret, mut plain) = (0, 0);
        for _ in 0..20_000 {
            let mut name = String::new();
            for _ in 0..next(5) {
                if next(2) == 0 {
                    name.push(others[next(others.len())]);
                    continue;
                }
                let word = SECRET_WORDS[next(SECRET_WORDS.len())];
                // The whole word, or a part of it that falls short by a letter or more.
                let len = if next(2) == 0 {
                    word.len()
                } else {
                    1 + next(word.len())
                };
                for c in word[..len].chars() {
                    name.push(if next(2) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    });
                }
            }
            let lower = name.to_ascii_lowercase();
            let expected = SECRET_WORDS.iter().any(|word| lower.contains(word));
            assert_eq!(named_like_a_secret(&name), expected, "{name}");
            if expected {
                secret += 1;
            } else {
                plain += 1;
            }
        }
        assert!(
            secret > 1000 && plain > 1000,
            "{secret} secret, {plain} plain"
        );
    }
}
