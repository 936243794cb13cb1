//! [`AppServices`]: the services of the four built-in kinds, which the router and the
//! analytics are built over.

use super::EntityService;
use crate::custom_fields::CustomFieldDef;
use crate::entities::{Department, Faculty, Student};

/// The four built-in entity services.
#[derive(Debug, Clone)]
pub struct AppServices {
    /// Departments.
    pub departments: EntityService<Department>,
    /// Students.
    pub students: EntityService<Student>,
    /// Faculty members.
    pub faculty: EntityService<Faculty>,
    /// Custom-field definitions.
    pub custom_fields: EntityService<CustomFieldDef>,
}
