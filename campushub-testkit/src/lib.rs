//! Test support shared by CampusHub's crates (not published).
//!
//! [`exposition::parse`]: a strict reader of `/metrics` bodies.
//!
//! [`SeededRng`]: the seeded generator of randomized tests.
//!
//! [`FakeIdp`]: an OpenID Connect identity provider (discovery, JWKS, signed tokens) on a
//! loopback port.
//!
//! [`Relay`]: a TCP relay on a loopback port between a client under test and a real service
//! (Redis, a Postgres replica), which a test cuts (the service becomes unreachable from that
//! client only) or redirects to another server (the service "comes back" as a different one).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use campushub_testkit::Relay;
//!
//! let relay = Relay::start("127.0.0.1:6379").await;
//! let url = format!("redis://{}/", relay.address());
//! relay.cut(); // every relayed connection closes; new ones are refused
//! relay.restore();
//! # drop(url);
//! # }
//! ```

pub mod exposition;
mod idp;
mod relay;
mod rng;

pub use idp::{FakeIdp, AUDIENCE as IDP_AUDIENCE};
pub use relay::Relay;
pub use rng::SeededRng;
