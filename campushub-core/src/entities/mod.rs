//! The built-in entities: departments, students, faculty (sharing a person block),
//! custom-field definitions and user accounts.

pub(crate) mod checks;
mod department;
mod faculty;
mod membership;
mod person;
mod student;
mod user;

// Every kind's audit block; still exported here, where it was public first.
pub use crate::audit::Audit;
pub use department::{Department, DepartmentCategory, DepartmentInput, DepartmentStatus};
pub use faculty::{Designation, EmploymentType, Faculty, FacultyInput, FacultyStatus};
pub use membership::DepartmentSummary;
pub use person::{Gender, Person, PERSON_FIELDS, PERSON_REQUIRED};
pub use student::{Student, StudentInput, StudentStatus};
pub use user::{User, UserInput, ROLE_NAME};

/// Declares a string enum: variants, their uppercase JSON form, `ALL`, `as_str` and the
/// schema choice list.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value's string form, in declaration order.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            /// The value's string form.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::error::Error;

            /// Parses the string form (`"ACTIVE"`); anything else is a validation error.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(crate::error::Error::invalid(
                        stringify!($name),
                        format!("`{other}` is not one of: {}", Self::ALL.join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use string_enum;

/// `Entity::meta` and `meta_mut` for kinds whose metadata lives in `self.meta`.
macro_rules! meta_accessors {
    () => {
        fn meta(&self) -> &crate::meta::RecordMeta {
            &self.meta
        }

        fn meta_mut(&mut self) -> &mut crate::meta::RecordMeta {
            &mut self.meta
        }
    };
}
pub(crate) use meta_accessors;

/// `Entity::custom_fields` and `custom_fields_mut` for kinds whose values live in
/// `self.custom_fields`.
macro_rules! custom_field_accessors {
    () => {
        fn custom_fields(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
            Some(&self.custom_fields)
        }

        fn custom_fields_mut(&mut self) -> Option<&mut serde_json::Map<String, serde_json::Value>> {
            Some(&mut self.custom_fields)
        }
    };
}
pub(crate) use custom_field_accessors;

#[cfg(test)]
mod tests {
    use super::{DepartmentStatus, Gender};

    #[test]
    fn string_enums_parse_their_string_forms_only() {
        assert_eq!("M".parse::<Gender>().ok(), Some(Gender::Male));
        assert_eq!(
            "MERGED".parse::<DepartmentStatus>().ok(),
            Some(DepartmentStatus::Merged)
        );
        let error = "active"
            .parse::<DepartmentStatus>()
            .expect_err("lowercase is not a value");
        assert!(error.to_string().contains("ACTIVE, INACTIVE"));
    }

    /// `Schema::embedded_in` is kept by hand as the inverse of the embedding relations (the
    /// cache invalidates the embedding kinds' lists with it): the two must agree.
    #[test]
    fn embedded_in_is_the_inverse_of_the_embedding_relations() {
        use super::{Department, Faculty, Student, User};
        use crate::custom_fields::CustomFieldDef;
        use crate::entity::Entity;
        use crate::schema::Schema;

        let schemas: [&Schema; 5] = [
            Department::schema(),
            Student::schema(),
            Faculty::schema(),
            CustomFieldDef::schema(),
            User::schema(),
        ];
        for target in schemas {
            let mut embedding: Vec<_> = schemas
                .iter()
                .filter(|schema| {
                    schema
                        .embedding_relations()
                        .any(|(relation, _)| relation.kind == target.kind)
                })
                .map(|schema| schema.kind)
                .collect();
            let mut declared = target.embedded_in.to_vec();
            embedding.sort_by_key(|kind| kind.as_str());
            declared.sort_by_key(|kind| kind.as_str());
            assert_eq!(declared, embedding, "embedded_in of {}", target.kind);
        }
    }
}
