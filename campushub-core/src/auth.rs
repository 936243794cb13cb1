//! Authorization: principals, roles, actions and the policy that relates them.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::kind::EntityKind;

/// A role name. The built-in roles are constants; applications may define their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(Cow<'static, str>);

impl Role {
    /// Everything, including custom-field definitions.
    pub const ADMIN: Role = Role(Cow::Borrowed("admin"));
    /// Reads and writes departments, students and faculty; reads custom-field definitions and
    /// statistics.
    pub const REGISTRAR: Role = Role(Cow::Borrowed("registrar"));
    /// Reads departments, students and faculty.
    pub const FACULTY: Role = Role(Cow::Borrowed("faculty"));
    /// Statistics and analytics only.
    pub const ANALYST: Role = Role(Cow::Borrowed("analyst"));
    /// Reads the audit log (and nothing else).
    pub const AUDITOR: Role = Role(Cow::Borrowed("auditor"));

    /// The built-in roles.
    pub const BUILT_IN: [Role; 5] = [
        Role::ADMIN,
        Role::REGISTRAR,
        Role::FACULTY,
        Role::ANALYST,
        Role::AUDITOR,
    ];

    /// A role named `name`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Role(name.into())
    }

    /// The role's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is asking: a subject (user id, service name) and its roles, and where the request
/// came from (what the audit log records beside them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable identifier of the caller; recorded as `created_by` / `updated_by`.
    pub subject: String,
    /// The caller's roles.
    pub roles: Vec<Role>,
    /// The name of the API key the caller authenticated with, if it used one.
    pub api_key: Option<String>,
    /// The request the caller is making, as far as the adapter knows it.
    pub origin: RequestOrigin,
}

/// Where a request came from: what an adapter (the HTTP router) knows of it, recorded in the
/// audit log and handed to change hooks. Empty for calls made outside any request (a
/// seeding command, a test).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The request's id (the HTTP adapter's `X-Request-Id`).
    pub request_id: Option<String>,
    /// The client's address.
    pub client_address: Option<String>,
}

impl Principal {
    /// A principal with `subject` and `roles`.
    pub fn new(subject: impl Into<String>, roles: impl IntoIterator<Item = Role>) -> Self {
        Principal {
            subject: subject.into(),
            roles: roles.into_iter().collect(),
            api_key: None,
            origin: RequestOrigin::default(),
        }
    }

    /// The same principal, authenticated with the API key named `name`.
    pub fn with_api_key(mut self, name: impl Into<String>) -> Self {
        self.api_key = Some(name.into());
        self
    }

    /// The same principal, making the request `origin`.
    pub fn with_origin(mut self, origin: RequestOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }
}

/// What a principal wants to do to a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// List records.
    List,
    /// Read one record.
    Retrieve,
    /// Create records (bulk create included).
    Create,
    /// Update records (bulk update included).
    Update,
    /// Delete records (bulk delete included).
    Delete,
    /// Read statistics (on [`EntityKind::ANALYTICS`]: cross-kind analytics).
    Statistics,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::List,
        Action::Retrieve,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Statistics,
    ];
    /// Reading records.
    pub const READ: &'static [Action] = &[Action::List, Action::Retrieve];
    /// Writing records.
    pub const WRITE: &'static [Action] = &[Action::Create, Action::Update, Action::Delete];
}

/// Decides whether a principal may perform an action on a kind.
pub trait Policy: Send + Sync {
    /// Whether `principal` may do `action` on `kind`.
    fn allows(&self, principal: &Principal, kind: EntityKind, action: Action) -> bool;

    /// `Ok(())` if allowed, else [`Error::Forbidden`] naming the action and kind.
    fn authorize(&self, principal: &Principal, kind: EntityKind, action: Action) -> Result<()> {
        if self.allows(principal, kind, action) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "`{}` may not {action:?} {kind}",
                principal.subject
            )))
        }
    }
}

impl<P: Policy + ?Sized> Policy for std::sync::Arc<P> {
    fn allows(&self, principal: &Principal, kind: EntityKind, action: Action) -> bool {
        (**self).allows(principal, kind, action)
    }
}

/// A policy from grants: role → kind → actions, plus roles allowed everything.
#[derive(Debug, Clone, Default)]
pub struct RolePolicy {
    grants: HashMap<Role, HashMap<EntityKind, Vec<Action>>>,
    superusers: Vec<Role>,
}

impl RolePolicy {
    /// A policy that allows nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The default policy:
    ///
    /// | role | departments, students, faculty | custom fields | statistics | analytics |
    /// |---|---|---|---|---|
    /// | `admin` | all | all | yes | yes |
    /// | `registrar` | read, write | read | yes | no |
    /// | `faculty` | read | no | no | no |
    /// | `analyst` | no | no | yes | yes |
    /// | `auditor` | no | no | no | no |
    ///
    /// `auditor` reads the audit log ([`Action::List`] on [`EntityKind::AUDIT`]) and nothing
    /// else. `admin` is a superuser, so it also holds every action on kinds an application adds.
    pub fn defaults() -> Self {
        let people = [
            EntityKind::DEPARTMENT,
            EntityKind::STUDENT,
            EntityKind::FACULTY,
        ];
        let mut policy = Self::empty().superuser(Role::ADMIN);
        for kind in people {
            policy = policy
                .grant(Role::REGISTRAR, kind, Action::READ)
                .grant(Role::REGISTRAR, kind, Action::WRITE)
                .grant(Role::REGISTRAR, kind, &[Action::Statistics])
                .grant(Role::FACULTY, kind, Action::READ)
                .grant(Role::ANALYST, kind, &[Action::Statistics]);
        }
        policy
            .grant(Role::REGISTRAR, EntityKind::CUSTOM_FIELD, Action::READ)
            .grant(Role::ANALYST, EntityKind::ANALYTICS, &[Action::Statistics])
            .grant(Role::AUDITOR, EntityKind::AUDIT, &[Action::List])
    }

    /// Also allows `role` everything on every kind.
    pub fn superuser(mut self, role: Role) -> Self {
        self.superusers.push(role);
        self
    }

    /// Also allows `role` the `actions` on `kind`.
    pub fn grant(mut self, role: Role, kind: EntityKind, actions: &[Action]) -> Self {
        self.grants
            .entry(role)
            .or_default()
            .entry(kind)
            .or_default()
            .extend_from_slice(actions);
        self
    }
}

impl Policy for RolePolicy {
    fn allows(&self, principal: &Principal, kind: EntityKind, action: Action) -> bool {
        principal.roles.iter().any(|role| {
            self.superusers.contains(role)
                || self
                    .grants
                    .get(role)
                    .and_then(|kinds| kinds.get(&kind))
                    .is_some_and(|actions| actions.contains(&action))
        })
    }
}
