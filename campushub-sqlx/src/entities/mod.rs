//! Table descriptions of the built-in entities.

mod custom_field;
mod department;
mod faculty;
mod person;
mod student;
