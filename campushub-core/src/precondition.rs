//! Conditions a write puts on the stored record (HTTP's `If-Match` and `If-None-Match`, in
//! terms of record versions), evaluated by the service against the record it re-reads.
//!
//! A write without a condition applies to whatever version is stored when it commits: the
//! service re-reads and re-applies it when another writer gets there first. A write with a
//! condition applies only while the condition holds, and fails with
//! [`Error::PreconditionFailed`] or [`Error::ConditionFailed`] (HTTP 412) once it does not.

use std::fmt;

use crate::error::{Error, Result};

/// Which versions of one record a condition names: any (`*`) or some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versions {
    /// Any version: the condition is about the record existing at all (`*`).
    Any,
    /// These versions (possibly none: the entity tags named other records, or none of ours).
    OneOf(Vec<i64>),
}

impl Versions {
    /// Whether a stored record of version `stored` (`None`: no record) is named.
    fn names(&self, stored: Option<i64>) -> bool {
        match (self, stored) {
            (_, None) => false,
            (Versions::Any, Some(_)) => true,
            (Versions::OneOf(versions), Some(stored)) => versions.contains(&stored),
        }
    }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Versions::Any => f.write_str("any version"),
            Versions::OneOf(versions) if versions.is_empty() => {
                f.write_str("no version of this record")
            }
            Versions::OneOf(versions) => {
                f.write_str("version ")?;
                for (i, version) in versions.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{version}")?;
                }
                Ok(())
            }
        }
    }
}

/// What a write requires of the stored record before it applies.
///
/// `Precondition::default()` requires nothing. `Option<i64>` converts into it (`Some(v)`:
/// "only if the stored version is `v`"), which is what the service's write methods took
/// before conditions had more forms.
///
/// ```
/// use campushub_core::precondition::{Precondition, Versions};
///
/// let unconditional = Precondition::default();
/// assert!(!unconditional.is_conditional());
/// assert!(unconditional.check(Some(3)).is_ok());
///
/// // `If-Match: "<id>-2", "<id>-3"`: either version.
/// let either = Precondition::if_match(Versions::OneOf(vec![2, 3]));
/// assert!(either.check(Some(3)).is_ok());
/// assert!(either.check(Some(4)).is_err());
/// // `If-Match: *` on a missing record fails.
/// assert!(Precondition::if_match(Versions::Any).check(None).is_err());
/// // `If-None-Match: *` fails on an existing record.
/// assert!(Precondition::if_none_match(Versions::Any).check(Some(1)).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition {
    /// The stored record must exist and be one of these versions (`If-Match`, strong
    /// comparison). `None`: no such condition.
    pub if_match: Option<Versions>,
    /// The stored record must not exist, or not be one of these versions (`If-None-Match`,
    /// weak comparison). `None`: no such condition.
    pub if_none_match: Option<Versions>,
}

impl Precondition {
    /// Only if the stored record exists and is one of `versions`.
    pub fn if_match(versions: Versions) -> Self {
        Precondition {
            if_match: Some(versions),
            if_none_match: None,
        }
    }

    /// Only if no stored record is one of `versions` (with [`Versions::Any`]: only if there
    /// is no record).
    pub fn if_none_match(versions: Versions) -> Self {
        Precondition {
            if_match: None,
            if_none_match: Some(versions),
        }
    }

    /// Only if the stored version is `version`.
    pub fn version(version: i64) -> Self {
        Precondition::if_match(Versions::OneOf(vec![version]))
    }

    /// Whether the write has any condition (a write without one retries on a version race
    /// instead of failing).
    pub fn is_conditional(&self) -> bool {
        self.if_match.is_some() || self.if_none_match.is_some()
    }

    /// Whether the condition holds for the stored record's version (`None`: no record), in
    /// the order of RFC 9110 §13.2.2: `If-Match` first, then `If-None-Match`.
    ///
    /// # Errors
    /// [`Error::PreconditionFailed`] when `If-Match` named exactly one version and another
    /// is stored; [`Error::ConditionFailed`] for every other condition that does not hold.
    pub fn check(&self, stored: Option<i64>) -> Result<()> {
        if let Some(versions) = &self.if_match {
            if !versions.names(stored) {
                return Err(match (versions, stored) {
                    (Versions::OneOf(expected), Some(actual)) if expected.len() == 1 => {
                        Error::PreconditionFailed {
                            expected: expected[0],
                            actual,
                        }
                    }
                    (_, None) => Error::ConditionFailed {
                        detail: format!(
                            "If-Match requires {versions}, and the record does not exist"
                        ),
                    },
                    (_, Some(actual)) => Error::ConditionFailed {
                        detail: format!(
                            "If-Match requires {versions}, and version {actual} is stored"
                        ),
                    },
                });
            }
        }
        if let Some(versions) = &self.if_none_match {
            if let (true, Some(actual)) = (versions.names(stored), stored) {
                return Err(Error::ConditionFailed {
                    detail: format!(
                        "If-None-Match excludes {versions}, and version {actual} is stored"
                    ),
                });
            }
        }
        Ok(())
    }
}

impl From<Option<i64>> for Precondition {
    fn from(expected_version: Option<i64>) -> Self {
        expected_version.map_or_else(Precondition::default, Precondition::version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(precondition: &Precondition, stored: Option<i64>) -> bool {
        precondition.check(stored).is_err()
    }

    #[test]
    fn if_match_needs_the_record_at_a_named_version() {
        let one = Precondition::version(2);
        assert!(!fails(&one, Some(2)));
        assert!(matches!(
            one.check(Some(3)),
            Err(Error::PreconditionFailed {
                expected: 2,
                actual: 3
            })
        ));
        assert!(matches!(
            one.check(None),
            Err(Error::ConditionFailed { .. })
        ));
        let list = Precondition::if_match(Versions::OneOf(vec![1, 4]));
        assert!(!fails(&list, Some(4)));
        assert!(matches!(
            list.check(Some(2)),
            Err(Error::ConditionFailed { .. })
        ));
        let foreign = Precondition::if_match(Versions::OneOf(Vec::new()));
        assert!(
            fails(&foreign, Some(1)),
            "tags of other records never match"
        );
        let any = Precondition::if_match(Versions::Any);
        assert!(!fails(&any, Some(9)));
        assert!(fails(&any, None), "`*` on a missing record");
    }

    #[test]
    fn if_none_match_fails_only_on_a_named_stored_version() {
        let any = Precondition::if_none_match(Versions::Any);
        assert!(fails(&any, Some(1)));
        assert!(
            !fails(&any, None),
            "nothing stored: the method decides (404)"
        );
        let tags = Precondition::if_none_match(Versions::OneOf(vec![3]));
        assert!(fails(&tags, Some(3)));
        assert!(!fails(&tags, Some(4)));
    }

    #[test]
    fn if_match_is_evaluated_before_if_none_match() {
        let both = Precondition {
            if_match: Some(Versions::OneOf(vec![2])),
            if_none_match: Some(Versions::OneOf(vec![2])),
        };
        assert!(matches!(
            both.check(Some(5)),
            Err(Error::PreconditionFailed { .. })
        ));
        assert!(matches!(
            both.check(Some(2)),
            Err(Error::ConditionFailed { .. })
        ));
    }

    #[test]
    fn an_optional_version_converts() {
        assert_eq!(Precondition::from(None), Precondition::default());
        assert_eq!(Precondition::from(Some(7)), Precondition::version(7));
        assert!(!Precondition::default().is_conditional());
    }
}
