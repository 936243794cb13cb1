//! Entity kinds: the names that tie schemas, cache keys, events and permissions together.

use std::fmt;

/// The name of an entity kind (`"student"`, `"course"`, ...).
///
/// Kinds are open: an application defines `EntityKind::new("course")` for its own entity and
/// gets storage, caching, events and authorization through the same machinery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityKind(&'static str);

impl EntityKind {
    /// Departments.
    pub const DEPARTMENT: EntityKind = EntityKind("department");
    /// Students.
    pub const STUDENT: EntityKind = EntityKind("student");
    /// Faculty members.
    pub const FACULTY: EntityKind = EntityKind("faculty");
    /// Custom-field definitions.
    pub const CUSTOM_FIELD: EntityKind = EntityKind("custom_field");
    /// User accounts (who may sign in, with which roles).
    pub const USER: EntityKind = EntityKind("user");
    /// Cross-kind analytics (summaries over several kinds); a resource for authorization and
    /// cache generations, not a stored entity.
    pub const ANALYTICS: EntityKind = EntityKind("analytics");
    /// The audit log (who changed what); a resource for authorization, not a stored entity:
    /// reading it is [`crate::Action::List`] on this kind.
    pub const AUDIT: EntityKind = EntityKind("audit");
    /// The server's metrics (`/metrics`); a resource for authorization, not a stored entity:
    /// reading them is [`crate::Action::Retrieve`] on this kind.
    pub const METRICS: EntityKind = EntityKind("metrics");

    /// The kinds CampusHub ships with.
    pub const BUILT_IN: [EntityKind; 4] = [
        Self::DEPARTMENT,
        Self::STUDENT,
        Self::FACULTY,
        Self::CUSTOM_FIELD,
    ];

    /// A kind named `name` (lowercase snake case by convention).
    pub const fn new(name: &'static str) -> Self {
        EntityKind(name)
    }

    /// The kind's name.
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for EntityKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}
