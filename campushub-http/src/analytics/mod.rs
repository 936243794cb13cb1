//! Cross-kind analytics: a summary of the institution and per-department figures.
//!
//! [`Analytics`] (core's trait) is what the router asks; [`ServiceAnalytics`] answers over the
//! entity services' repositories and works on any store. The SQL stores implement the trait
//! with single aggregate statements on their analytics route instead.

mod routes;
mod services;

pub(crate) use routes::routes;
pub use services::ServiceAnalytics;

pub use campushub_core::analytics::{ratio, Analytics, AnalyticsSummary, DepartmentAnalytics};
