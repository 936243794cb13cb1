//! Table descriptions of the built-in entities.

mod audit;
mod custom_field;
mod department;
mod faculty;
mod person;
mod student;
