//! Row scopes: which records of a kind a principal may reach, beyond whether it may reach the
//! kind at all ([`crate::auth`]).
//!
//! A [`Policy`](crate::Policy) answers [`RowScope`]s; the service turns a scope into filters
//! added to every list (and statistics) query, and checks a retrieved or written record
//! against it, answering a record outside the scope exactly as a missing one (404), so that
//! a scope does not reveal which ids exist. [`ScopeRule`](crate::auth::ScopeRule)s are how a
//! [`RolePolicy`](crate::RolePolicy) attaches scopes to roles;
//! [`OwnRecord`](crate::auth::OwnRecord) and [`SameDepartment`](crate::auth::SameDepartment)
//! are the built-in ones, and an application writes its own (a closure will do).
//!
//! This module is a leaf: it knows nothing of principals, so that [`crate::auth`] can use it.

use uuid::Uuid;

use crate::value::Scalar;

/// The records a principal is linked to, which scopes are expressed against: carried by its
/// credentials (token claims `student_id`, `faculty_id`, `department_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordLinks {
    /// The student record of the account (the `student` role's own record).
    pub student_id: Option<Uuid>,
    /// The faculty record of the account.
    pub faculty_id: Option<Uuid>,
    /// The department of the linked faculty (or student) record, resolved when the
    /// credentials were issued.
    pub department_id: Option<Uuid>,
}

impl RecordLinks {
    /// Whether nothing is linked.
    pub fn is_empty(&self) -> bool {
        *self == RecordLinks::default()
    }
}

/// One condition of a [`RowScope`]: the field `field` equals `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeCondition {
    /// A schema field of the kind (`id`, `department_id`).
    pub field: &'static str,
    /// The value it must have.
    pub value: Scalar,
}

/// Which records of a kind a principal may reach.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RowScope {
    /// Every record (no scope).
    #[default]
    All,
    /// The records where every condition holds.
    Where(Vec<ScopeCondition>),
    /// None: a scoped role whose principal lacks the link its scope needs (a `student` token
    /// without a `student_id`) reaches nothing rather than everything.
    Nothing,
}

impl RowScope {
    /// The records whose `field` is `value`; [`RowScope::Nothing`] without a value.
    pub fn field_is(field: &'static str, value: Option<Uuid>) -> RowScope {
        match value {
            Some(id) => RowScope::Where(vec![ScopeCondition {
                field,
                value: Scalar::Uuid(id),
            }]),
            None => RowScope::Nothing,
        }
    }

    /// The records both scopes reach: a principal holding several scoped roles (and no
    /// unscoped one) is held to all of their scopes, never widened by one of them.
    pub fn and(self, other: RowScope) -> RowScope {
        match (self, other) {
            (RowScope::All, scope) | (scope, RowScope::All) => scope,
            (RowScope::Nothing, _) | (_, RowScope::Nothing) => RowScope::Nothing,
            (RowScope::Where(mut a), RowScope::Where(b)) => {
                a.extend(b);
                RowScope::Where(a)
            }
        }
    }

    /// Whether the scope reaches every record.
    pub fn is_all(&self) -> bool {
        matches!(self, RowScope::All)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_narrow_and_never_widen() {
        let id = Uuid::new_v4();
        let own = RowScope::field_is("id", Some(id));
        assert_eq!(RowScope::All.and(own.clone()), own);
        assert_eq!(own.clone().and(RowScope::Nothing), RowScope::Nothing);
        let both = own.and(RowScope::field_is("department_id", Some(id)));
        assert!(matches!(both, RowScope::Where(ref c) if c.len() == 2));
        assert_eq!(RowScope::field_is("id", None), RowScope::Nothing);
    }
}
