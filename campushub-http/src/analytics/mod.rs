//! The routes of cross-kind analytics: a summary of the institution and per-department figures.
//!
//! [`Analytics`] (core's trait) is what the router asks; [`ServiceAnalytics`] (in core too)
//! answers over the entity services' repositories and works on any store. The SQL stores
//! implement the trait with single aggregate statements on their analytics route instead.
//! The items are re-exported here so that their paths under `campushub_http` keep working.

mod routes;

pub(crate) use routes::routes;

pub use campushub_core::analytics::{
    ratio, Analytics, AnalyticsSummary, DepartmentAnalytics, ServiceAnalytics,
};
