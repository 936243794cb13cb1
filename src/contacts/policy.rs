//! Who may do what with contacts: the built-in roles, as they stand to the people whose
//! contacts they are.

use crate::core::scope::RowScope;
use crate::core::{Action, Entity as _, EntityKind, Principal, Role, RolePolicy};

use super::contact::Contact;

/// The built-in policy ([`RolePolicy::defaults`]) with contacts: `admin` everything;
/// `registrar` reads, writes and counts them, personal fields included; `faculty` reads them
/// without their phones, email and address; `student` reads its own (those whose `owner_id`
/// is its token's `student_id`), personal fields included.
pub fn policy() -> RolePolicy {
    owned_by_people(RolePolicy::defaults(), Contact::KIND)
}

/// `policy` with the grants of [`policy`] on `kind`, a kind of records owned by students and
/// faculty members (`owner_id`): contacts, documents.
pub fn owned_by_people(policy: RolePolicy, kind: EntityKind) -> RolePolicy {
    policy
        .grant(Role::REGISTRAR, kind, Action::READ)
        .grant(Role::REGISTRAR, kind, Action::WRITE)
        .grant(Role::REGISTRAR, kind, &[Action::Statistics])
        .grant_personal(Role::REGISTRAR, kind)
        .grant(Role::FACULTY, kind, Action::READ)
        .grant(Role::STUDENT, kind, Action::READ)
        .scope(Role::STUDENT, kind, |principal: &Principal, _kind| {
            RowScope::field_is("owner_id", principal.links.student_id)
        })
        .grant_personal(Role::STUDENT, kind)
}
