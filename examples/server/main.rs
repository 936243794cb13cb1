//! The CampusHub example server: the REST API over SQLite (default) or Postgres with replicas,
//! with the moka + Redis cache. It is [`campushub::server`] run as a program, with contacts
//! (`/api/v1/contacts`, [`campushub::contacts`], feature `records`) served beside the built-in
//! kinds; an application that serves its own kinds too adds them with `Server::extend` (see
//! the module's example).
//!
//! Run it with `cargo run --release --example server`: it creates `./data/campushub.db`,
//! loads demo data into an empty database, prints the address and an `admin` token, and
//! serves on `127.0.0.1:8080`. Other commands:
//!
//! ```text
//! cargo run --release --example server -- seed --departments 10 --students 100000 --faculty 1000
//! cargo run --release --example server -- token --sub alice --role registrar --ttl 2h
//! cargo run --release --example server -- migrate
//! cargo run --release --example server -- help
//! ```
//!
//! Configuration comes from `CAMPUSHUB_*` variables (see `help` and
//! `docs/integrators-guide.md`).

use std::process::ExitCode;

use campushub::server::Server;

fn main() -> ExitCode {
    campushub::contacts::serve(Server::new()).main()
}
