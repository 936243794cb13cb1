//! One run: dedicated services, two instances (A reaching Redis through a relay that can be
//! cut), a pool of records, the clients and the fault plan side by side, then the settled
//! final state and the checks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::check::{check, Checked};
use super::faults::{self, Injected, Targets};
use super::final_state::{self, Finals};
use super::history::{Clock, Log, Micros};
use super::instances::Node;
use super::settings::Settings;
use super::workload::{Client, Shared};
use crate::support::dedicated::Dedicated;
use crate::support::instance::replicated;
use crate::support::TestDb;
use campushub_testkit::Relay;

/// How often a long run says how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// Records created before the clock starts.
const POOL: usize = 40;

/// How long the run waits after the workload (faults healed) before reading the final state.
const SETTLE: Duration = Duration::from_secs(3);

/// Everything a run produced.
pub struct Run {
    /// The history, the pool's creates first (client `u16::MAX`).
    pub log: Log,
    /// Records reserved (created or attempted).
    pub records: u32,
    /// Faults planned.
    pub planned: usize,
    /// Faults injected.
    pub faults: Vec<Injected>,
    /// When the workload started and ended, on the run's clock.
    pub window: (Micros, Micros),
    /// The final state.
    pub finals: Finals,
    /// The checks' findings.
    pub checked: Checked,
    /// Where the instances' output went.
    pub logs: PathBuf,
}

/// Runs the workload described by `settings` and checks it.
pub async fn run(settings: &Settings) -> Run {
    let dedicated = Dedicated::start();
    let services = dedicated.services.clone();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let redis = services
        .redis
        .trim_start_matches("redis://")
        .trim_end_matches('/');
    let proxy = Relay::start(redis).await;

    let logs = std::env::temp_dir().join(format!("campushub-checker-{:016x}", settings.seed));
    std::fs::create_dir_all(&logs).expect("a folder for the instances' output");
    let mut vars = replicated(&services, &db, "checker");
    vars.extend([
        // Replica lag is then bounded by the promise: a replica more than 1 s behind leaves
        // rotation.
        ("CAMPUSHUB_REPLICA_MAX_LAG", "1s".to_owned()),
        ("CAMPUSHUB_LOG", "warn".to_owned()),
    ]);
    let through_proxy: Vec<(&str, String)> = vars
        .iter()
        .map(|(name, value)| match *name {
            "CAMPUSHUB_REDIS_URL" => (*name, format!("redis://{}/", proxy.address())),
            _ => (*name, value.clone()),
        })
        .collect();
    let (log_a, log_b) = (logs.join("instance-a.log"), logs.join("instance-b.log"));
    let (a, b) = tokio::join!(
        Node::spawn("A", &through_proxy, &log_a),
        Node::spawn("B", &vars, &log_b),
    );
    let mut nodes = [a, b];
    let http = [nodes[0].http.clone(), nodes[1].http.clone()];

    let clock = Clock::start();
    let shared = Arc::new(Shared::new(http.clone(), clock));
    let mut log = Client::new(u16::MAX, settings.seed, shared.clone())
        .populate(POOL)
        .await;

    let origin = clock.now();
    shared.set_deadline(origin + settings.duration.as_micros() as Micros);
    let clients: Vec<_> = (0..settings.clients)
        .map(|n| tokio::spawn(Client::new(n as u16, settings.seed, shared.clone()).run()))
        .collect();
    let progress = tokio::spawn(progress(shared.clone(), origin));
    let plan = if settings.faults {
        faults::plan(settings.seed, settings.duration)
    } else {
        Vec::new()
    };
    let targets = Targets {
        dedicated: &dedicated,
        db: &db,
        proxy: &proxy,
        nodes: &mut nodes,
    };
    let injected = faults::inject(&plan, targets, clock, origin, settings.duration).await;
    for client in clients {
        log.append(client.await.expect("a client task"));
    }
    progress.abort();
    let end = clock.now();

    tokio::time::sleep(SETTLE).await;
    let (records, known) = {
        let registry = shared.registry();
        (registry.len(), registry.known())
    };
    let finals = final_state::read(&db.primary, &http, records, &known, settings.clients).await;
    let checked = check(&log, records, &injected, settings, &finals);
    drop(nodes);
    drop(proxy);
    db.drop_database().await;
    drop(dedicated);
    Run {
        log,
        records,
        planned: plan.len(),
        faults: injected,
        window: (origin, end),
        finals,
        checked,
        logs,
    }
}

/// Prints how many requests the clients made, every [`PROGRESS_EVERY`], so that a long run
/// shows it is alive.
async fn progress(shared: Arc<Shared>, origin: Micros) {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let elapsed = (shared.clock.now() - origin) as f64 / 1e6;
        let requests = shared.requests();
        println!(
            "checker: {elapsed:.0} s, {requests} requests ({:.0}/s)",
            requests as f64 / elapsed
        );
    }
}
