//! Integration tests of `campushub-cache`, one binary. Tests that need Redis read
//! `CAMPUSHUB_TEST_REDIS` (run `scripts/services.sh start` and source its env file); tests
//! that kill Redis start their own `redis-server` child instead.
// A test binary exports nothing: `pub` in its modules means "shared with the other tests".
#![allow(unreachable_pub)]

mod analytics;
mod channel_loss;
mod cluster;
mod consistency;
mod degradation;
mod failed_logins;
mod failover;
mod hit_ratio;
mod l1;
mod query_bound;
mod query_flood;
mod rate_budget;
mod resharding;
mod revocation;
mod single_flight;
mod stale_sets;
mod support;
mod tls;
mod two_instances;
mod warming;
mod write_through;
