//! Who wrote a record: the principal subjects that created it and last wrote it, carried the
//! same way by every built-in kind (and by any application kind that flattens an [`Audit`]).

use serde::{Deserialize, Serialize};

/// The names of the audit fields, as records serialize them. A kind carrying an [`Audit`]
/// lists them in [`crate::Schema::read_only`]: a body may send them back as it read them,
/// and they are ignored (only the service sets them, from the principal).
pub const AUDIT_FIELDS: [&str; 2] = ["created_by", "updated_by"];

/// Who created and last wrote a record (principal subjects, [`crate::Principal::subject`]).
///
/// A record flattens it (`#[serde(flatten)] pub audit: Audit`), so its fields sit beside the
/// record's own; each is `null` when unknown (a record written before the kind recorded it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Audit {
    /// The subject that created the record.
    #[serde(default)]
    pub created_by: Option<String>,
    /// The subject that last wrote the record (its creator until someone else writes it).
    #[serde(default)]
    pub updated_by: Option<String>,
}

impl Audit {
    /// The audit of a record `actor` creates: a create is also its first write, so `actor`
    /// is both its creator and its last writer.
    pub fn created(actor: &str) -> Self {
        Audit {
            created_by: Some(actor.to_owned()),
            updated_by: Some(actor.to_owned()),
        }
    }

    /// Records `actor` as the record's last writer; its creator stays.
    pub fn written(&mut self, actor: &str) {
        self.updated_by = Some(actor.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Audit, AUDIT_FIELDS};

    #[test]
    fn a_create_records_its_actor_as_creator_and_writer_and_a_write_only_the_writer() {
        let mut audit = Audit::created("registrar");
        assert_eq!(
            json!(audit),
            json!({"created_by": "registrar", "updated_by": "registrar"})
        );
        audit.written("admin");
        assert_eq!(audit.created_by.as_deref(), Some("registrar"));
        assert_eq!(audit.updated_by.as_deref(), Some("admin"));
    }

    #[test]
    fn the_field_names_are_the_serialized_ones_and_unknown_is_null() {
        let unknown = json!(Audit::default());
        let mut names: Vec<&str> = unknown
            .as_object()
            .map(|fields| fields.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        assert_eq!(names, AUDIT_FIELDS);
        assert!(AUDIT_FIELDS.iter().all(|name| unknown[name].is_null()));
    }
}
