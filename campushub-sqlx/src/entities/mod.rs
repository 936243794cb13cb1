//! Table descriptions of the built-in entities (user accounts included; their secrets are in
//! `crate::accounts`).

mod audit;
mod custom_field;
mod department;
mod faculty;
mod person;
mod student;
mod user;
