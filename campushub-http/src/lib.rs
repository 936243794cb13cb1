//! # campushub-http
//!
//! The optional axum router for CampusHub: `/api/v1/...` REST endpoints, JWT and API-key auth,
//! problem+json errors, OpenAPI, health and metrics. (Being built: see the project issues.)
