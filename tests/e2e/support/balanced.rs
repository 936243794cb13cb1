//! Two server processes on one database (primary + replica, Redis) behind nginx with the
//! shipped configuration (`deploy/nginx/campushub.conf`), as they run in production: the
//! cross-instance tests send their requests through it. nginx's one worker takes the
//! instances in turn (round robin), so two requests in a row reach both.

use super::client::Http;
use super::db::TestDb;
use super::instance::pair;
use super::nginx::Nginx;
use super::process::{admin_token, ProcessInstance};
use super::tools::Scratch;

/// The pair, nginx in front of it, and an `admin` client of nginx.
pub struct Balanced {
    /// An `admin` client sending through nginx.
    pub http: Http,
    /// The instances, for what a client of nginx cannot choose (each one's `/metrics`).
    pub a: ProcessInstance,
    /// The second instance.
    pub b: ProcessInstance,
    /// Their database.
    pub db: TestDb,
    nginx: Nginx,
    _scratch: Scratch,
}

/// Starts the pair ([`pair`]) and nginx in front of it.
pub async fn balanced_pair() -> Balanced {
    balanced(pair().await).await
}

/// Starts nginx in front of `pair` (a database and its two instances).
pub async fn balanced((db, a, b): (TestDb, ProcessInstance, ProcessInstance)) -> Balanced {
    let scratch = Scratch::new("balanced");
    let upstreams = [a.address().to_string(), b.address().to_string()];
    let nginx = Nginx::start(scratch.path(), &upstreams).await;
    Balanced {
        http: Http::new(&nginx.base, Some(admin_token())),
        a,
        b,
        db,
        nginx,
        _scratch: scratch,
    }
}

impl Balanced {
    /// Stops nginx and the instances, and drops the database.
    pub async fn finish(self) {
        drop(self.nginx);
        drop((self.a, self.b));
        self.db.drop_database().await;
    }
}
