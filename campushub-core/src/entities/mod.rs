//! The built-in entities: departments, students, faculty (sharing a person block) and
//! custom-field definitions.

pub(crate) mod checks;
mod department;
mod faculty;
mod person;
mod student;

pub use department::{Department, DepartmentInput, DepartmentKind, DepartmentStatus};
pub use faculty::{Designation, EmploymentType, Faculty, FacultyInput, FacultyStatus};
pub use person::{Audit, Gender, Person, PERSON_FIELDS};
pub use student::{Student, StudentInput, StudentStatus};

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
    };
}
pub(crate) use string_enum;
