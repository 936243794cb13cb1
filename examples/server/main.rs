//! The CampusHub example server: the REST API over SQLite (default) or Postgres with replicas,
//! with the moka + Redis cache. It is [`campushub::server`] run as a program, with contacts
//! (`/api/v1/contacts`, [`campushub::contacts`], feature `records`) and documents
//! (`/api/v1/documents`, [`campushub::documents`], feature `documents`: bytes under
//! `./data/documents`, or where `CAMPUSHUB_DOCUMENTS_STORE` says) served beside the built-in
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

use campushub::documents::DocumentSettings;
use campushub::server::Server;

fn main() -> ExitCode {
    let opened = DocumentSettings::from_vars(|name| std::env::var(name).ok())
        .map_err(|error| error.to_string())
        .and_then(|settings| {
            let store = settings.open_store().map_err(|error| error.to_string())?;
            Ok((settings, store))
        });
    let (settings, store) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let server = campushub::contacts::serve(Server::new());
    campushub::documents::serve(server, settings, store).main()
}
