//! Authorization: principals, roles, actions and the policy that relates them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kind::EntityKind;
use crate::scope::{RecordLinks, RowScope};

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
    /// Reads its own student record (the principal's [`RecordLinks::student_id`]), personal
    /// fields included, and nothing else.
    pub const STUDENT: Role = Role(Cow::Borrowed("student"));
    /// Reads the server's metrics ([`EntityKind::METRICS`], `/metrics`) and nothing else: the
    /// role of a Prometheus scraper's API key, which needs no administrator's credentials.
    pub const METRICS: Role = Role(Cow::Borrowed("metrics"));

    /// The built-in roles.
    pub const BUILT_IN: [Role; 7] = [
        Role::ADMIN,
        Role::REGISTRAR,
        Role::FACULTY,
        Role::ANALYST,
        Role::AUDITOR,
        Role::STUDENT,
        Role::METRICS,
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

/// Who is asking: a subject (user id, service name), its roles, the records it is linked to
/// (what row scopes are expressed against), and where the request came from (what the audit
/// log records beside them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable identifier of the caller; recorded as `created_by` / `updated_by`.
    pub subject: String,
    /// The caller's roles.
    pub roles: Vec<Role>,
    /// The student, faculty and department records the caller is linked to (none by
    /// default; see [`crate::scope`]).
    pub links: RecordLinks,
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
            links: RecordLinks::default(),
            api_key: None,
            origin: RequestOrigin::default(),
        }
    }

    /// The same principal linked to `links`.
    pub fn with_links(mut self, links: RecordLinks) -> Self {
        self.links = links;
        self
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

    /// The records of `kind` that `principal` may reach with `action` (row scope). Default:
    /// every record, so a policy written before scopes keeps its meaning.
    fn row_scope(&self, principal: &Principal, kind: EntityKind, action: Action) -> RowScope {
        let _ = (principal, kind, action);
        RowScope::All
    }

    /// Whether `principal` sees the personal fields of `kind`'s records (the schema's
    /// [`FieldSpec::personal`](crate::FieldSpec::personal) fields and sensitive custom
    /// fields); without them it gets records without those fields and may not filter, order
    /// or search on them. Default: yes, so a policy written before field scopes keeps its
    /// meaning.
    fn sees_personal(&self, principal: &Principal, kind: EntityKind) -> bool {
        let _ = (principal, kind);
        true
    }
}

impl<P: Policy + ?Sized> Policy for std::sync::Arc<P> {
    fn allows(&self, principal: &Principal, kind: EntityKind, action: Action) -> bool {
        (**self).allows(principal, kind, action)
    }

    fn row_scope(&self, principal: &Principal, kind: EntityKind, action: Action) -> RowScope {
        (**self).row_scope(principal, kind, action)
    }

    fn sees_personal(&self, principal: &Principal, kind: EntityKind) -> bool {
        (**self).sees_personal(principal, kind)
    }
}

/// A policy from grants: role → kind → actions, plus roles allowed everything, row scopes
/// attached to roles on kinds, and the roles that see personal fields.
#[derive(Clone, Default)]
pub struct RolePolicy {
    grants: HashMap<Role, HashMap<EntityKind, Vec<Action>>>,
    superusers: Vec<Role>,
    scopes: HashMap<Role, HashMap<EntityKind, Arc<dyn ScopeRule>>>,
    personal: HashMap<Role, Vec<EntityKind>>,
}

impl std::fmt::Debug for RolePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scoped: Vec<_> = self
            .scopes
            .iter()
            .flat_map(|(role, kinds)| kinds.keys().map(move |kind| (role, kind)))
            .collect();
        f.debug_struct("RolePolicy")
            .field("grants", &self.grants)
            .field("superusers", &self.superusers)
            .field("scopes", &scoped)
            .field("personal", &self.personal)
            .finish()
    }
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
    /// | `student` | its own student record (read) | no | no | no |
    /// | `metrics` | no | no | no | no |
    ///
    /// `auditor` reads the audit log ([`Action::List`] on [`EntityKind::AUDIT`]) and nothing
    /// else; `metrics` reads the server's metrics ([`Action::Retrieve`] on
    /// [`EntityKind::METRICS`]) and nothing else. `admin` is a superuser, so it also holds every action on kinds an application adds.
    ///
    /// Personal fields ([`crate::FieldSpec::personal`], sensitive custom fields) are seen by
    /// `admin` and `registrar`, and by `student` on (its own) student record; `faculty` reads
    /// records without them. The `faculty` role reads every student unless
    /// [`RolePolicy::faculty_department_scope`] limits it to its department's.
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
                .grant(Role::ANALYST, kind, &[Action::Statistics])
                .grant_personal(Role::REGISTRAR, kind);
        }
        policy
            .grant(Role::REGISTRAR, EntityKind::CUSTOM_FIELD, Action::READ)
            .grant(Role::ANALYST, EntityKind::ANALYTICS, &[Action::Statistics])
            .grant(Role::AUDITOR, EntityKind::AUDIT, &[Action::List])
            .grant(Role::METRICS, EntityKind::METRICS, &[Action::Retrieve])
            .grant(Role::STUDENT, EntityKind::STUDENT, Action::READ)
            .scope(Role::STUDENT, EntityKind::STUDENT, OwnRecord)
            .grant_personal(Role::STUDENT, EntityKind::STUDENT)
    }

    /// Limits the `faculty` role's reads of students to its department's
    /// ([`SameDepartment`]: `department_id` is the principal's linked department; a faculty
    /// principal without one reads no student).
    pub fn faculty_department_scope(self) -> Self {
        self.scope(Role::FACULTY, EntityKind::STUDENT, SameDepartment)
    }

    /// Scopes what `role` reaches of `kind` with `rule` (replacing any scope it had there).
    ///
    /// For an action, a principal is held to the scopes of those of its roles granted the
    /// action that have one, all of them at once, unless it also holds a superuser role or a
    /// role granted the action on `kind` without a scope, which reach every record.
    pub fn scope(mut self, role: Role, kind: EntityKind, rule: impl ScopeRule + 'static) -> Self {
        self.scopes
            .entry(role)
            .or_default()
            .insert(kind, Arc::new(rule));
        self
    }

    /// Lets `role` see the personal fields of `kind`'s records (superusers see them on
    /// every kind).
    pub fn grant_personal(mut self, role: Role, kind: EntityKind) -> Self {
        self.personal.entry(role).or_default().push(kind);
        self
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

    fn row_scope(&self, principal: &Principal, kind: EntityKind, action: Action) -> RowScope {
        // Only the roles granted the action count: one of them unscoped (or a superuser)
        // reaches every record; otherwise every scope of those roles applies.
        let mut scope: Option<RowScope> = None;
        for role in &principal.roles {
            if self.superusers.contains(role) {
                return RowScope::All;
            }
            let granted = self
                .grants
                .get(role)
                .and_then(|kinds| kinds.get(&kind))
                .is_some_and(|actions| actions.contains(&action));
            if !granted {
                continue;
            }
            match self.scopes.get(role).and_then(|kinds| kinds.get(&kind)) {
                Some(rule) => {
                    let own = rule.scope(principal, kind);
                    scope = Some(match scope {
                        Some(scope) => scope.and(own),
                        None => own,
                    });
                }
                None => return RowScope::All,
            }
        }
        scope.unwrap_or(RowScope::All)
    }

    fn sees_personal(&self, principal: &Principal, kind: EntityKind) -> bool {
        principal.roles.iter().any(|role| {
            self.superusers.contains(role)
                || self
                    .personal
                    .get(role)
                    .is_some_and(|kinds| kinds.contains(&kind))
        })
    }
}

/// A scope a [`RolePolicy`] attaches to a role on a kind
/// ([`RolePolicy::scope`]).
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
#[derive(Debug, Clone, Copy, Default)]
pub struct SameDepartment;

impl ScopeRule for SameDepartment {
    fn scope(&self, principal: &Principal, _kind: EntityKind) -> RowScope {
        RowScope::field_is("department_id", principal.links.department_id)
    }
}
