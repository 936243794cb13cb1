//! Row scopes: which records of a kind a principal may reach, beyond whether it may reach the
//! kind at all ([`crate::auth`]).
//!
//! A [`Policy`](crate::Policy) answers [`RowScope`]s; the service turns a scope into filters
//! added to every list (and statistics) query, and checks a retrieved or written record
//! against it, answering a record outside the scope exactly as a missing one (404), so that
//! a scope does not reveal which ids exist. [`ScopeRule`]s are how a
//! [`RolePolicy`](crate::RolePolicy) attaches scopes to roles; [`OwnRecord`] and
//! [`SameDepartment`] are the built-in ones, and an application writes its own (a closure
//! will do).

use uuid::Uuid;

use crate::auth::Principal;
use crate::kind::EntityKind;
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

/// A scope a [`RolePolicy`](crate::RolePolicy) attaches to a role on a kind
/// ([`RolePolicy::scope`](crate::RolePolicy::scope)).
///
/// Implemented by closures `Fn(&Principal, EntityKind) -> RowScope`, so an application adds
/// one in a line:
///
/// ```
/// use campushub_core::scope::RowScope;
/// use campushub_core::{EntityKind, Role, RolePolicy};
///
/// // Advisors read the students of the department their token names.
/// let advisor = Role::new("advisor");
/// let policy = RolePolicy::defaults()
///     .grant(advisor.clone(), EntityKind::STUDENT, campushub_core::Action::READ)
///     .scope(advisor, EntityKind::STUDENT, |principal: &campushub_core::Principal, _kind| {
///         RowScope::field_is("department_id", principal.links.department_id)
///     });
/// # let _ = policy;
/// ```
pub trait ScopeRule: Send + Sync {
    /// The records of `kind` that `principal` may reach through the role this rule is
    /// attached to.
    fn scope(&self, principal: &Principal, kind: EntityKind) -> RowScope;
}

impl<F> ScopeRule for F
where
    F: Fn(&Principal, EntityKind) -> RowScope + Send + Sync,
{
    fn scope(&self, principal: &Principal, kind: EntityKind) -> RowScope {
        self(principal, kind)
    }
}

/// The principal's own student record: `id` is its [`RecordLinks::student_id`] (the built-in
/// `student` role's scope on students).
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnRecord;

impl ScopeRule for OwnRecord {
    fn scope(&self, principal: &Principal, _kind: EntityKind) -> RowScope {
        RowScope::field_is("id", principal.links.student_id)
    }
}

/// The records of the principal's department: `department_id` is its
/// [`RecordLinks::department_id`] (what [`RolePolicy::faculty_department_scope`] gives the
/// `faculty` role on students).
///
/// [`RolePolicy::faculty_department_scope`]: crate::RolePolicy::faculty_department_scope
#[derive(Debug, Clone, Copy, Default)]
pub struct SameDepartment;

impl ScopeRule for SameDepartment {
    fn scope(&self, principal: &Principal, _kind: EntityKind) -> RowScope {
        RowScope::field_is("department_id", principal.links.department_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

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

    #[test]
    fn built_in_rules_read_the_principal_links() {
        let student = Uuid::new_v4();
        let principal = Principal::new("s", [Role::STUDENT]).with_links(RecordLinks {
            student_id: Some(student),
            ..RecordLinks::default()
        });
        assert_eq!(
            OwnRecord.scope(&principal, EntityKind::STUDENT),
            RowScope::field_is("id", Some(student))
        );
        assert_eq!(
            SameDepartment.scope(&principal, EntityKind::STUDENT),
            RowScope::Nothing,
            "no department linked: nothing, not everything"
        );
    }
}
