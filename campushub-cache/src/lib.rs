//! # campushub-cache
//!
//! The multi-tier cache for CampusHub: moka L1, Redis L2, cross-instance invalidation without
//! stale sets, single flight, warming and metrics. (Being built: see the project issues.)
