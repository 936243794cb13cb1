//! A master failover mid-test, on a cluster of this test's own: two instances read and write
//! (seeded, replayable with `CAMPUSHUB_TEST_SEED`) while the master serving the invalidation
//! channel is killed and its replica promoted. No read fails (the database answers while the
//! cluster reconfigures), no read returns a version older than one whose write finished more
//! than [`BOUND`] before the read began, and afterwards the instances subscribe again and
//! cache through the cluster.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use campushub_cache::TieredCache;
use campushub_core::{Cache, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{
    cluster_ports, connect_to, event, from_db, master_of, masters, namespace, record, seed,
    slot_of, ClusterChild, SplitMix,
};

/// The staleness bound under a failover: the disconnected-trust bound of the test settings
/// (300 ms) plus propagation, with room for a slow CI machine.
const BOUND: Duration = Duration::from_secs(1);

/// Records written and read.
const RECORDS: usize = 48;

/// One record of the "database": its version, and when each write's invalidation finished.
struct Row {
    id: Uuid,
    version: Arc<AtomicI64>,
    written: Mutex<Vec<(i64, Instant)>>,
}

impl Row {
    /// The newest version whose invalidation finished before `before`.
    fn settled(&self, before: Instant) -> i64 {
        let written = self.written.lock().expect("not poisoned");
        written
            .iter()
            .filter(|(_, at)| *at <= before)
            .map(|(version, _)| *version)
            .max()
            .unwrap_or(1)
    }
}

/// A read older than the bound allows.
#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug`, in the failure message.
struct Stale {
    row: usize,
    got: i64,
    settled: i64,
    /// The instance that read it.
    instance: &'static str,
    /// Whether that instance was subscribed to the channel just after the read.
    subscribed: bool,
    /// When the read began, in ms after the kill (negative: before); `None` before the kill
    /// was recorded.
    at_ms: Option<i128>,
}

/// Reads random records through `instance` until `stop`; returns (reads, stale reads).
async fn reader(
    (instance, cache): (&'static str, TieredCache),
    rows: Arc<Vec<Row>>,
    mut random: SplitMix,
    stop: Arc<AtomicBool>,
    killed: Arc<OnceLock<Instant>>,
) -> (u64, Vec<Stale>) {
    let (mut reads, mut stale) = (0, Vec::new());
    while !stop.load(Ordering::SeqCst) {
        let index = random.below(RECORDS as u64) as usize;
        let row = &rows[index];
        let began = Instant::now();
        let settled = began
            .checked_sub(BOUND)
            .map_or(1, |before| row.settled(before));
        let got = cache
            .get_or_load(
                &record(EntityKind::STUDENT, row.id),
                None,
                from_db(&row.version),
            )
            .await
            .expect("a read the database can serve never fails")
            .map_or(0, |v| v.version);
        if got < settled {
            // `duration_since` saturates at zero: one of the two terms is the distance.
            let at_ms = killed.get().map(|killed| {
                began.duration_since(*killed).as_millis() as i128
                    - killed.duration_since(began).as_millis() as i128
            });
            stale.push(Stale {
                row: index,
                got,
                settled,
                instance,
                subscribed: cache.metrics().subscribed,
                at_ms,
            });
        }
        reads += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    (reads, stale)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_channels_master_fails_over_mid_test_no_stale_read_past_the_bound_no_failed_read() {
    failover(Victim::ChannelMaster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_master_fails_over_mid_test_no_stale_read_past_the_bound_no_failed_read() {
    failover(Victim::OtherMaster).await;
}

/// Which master the test kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    /// The one serving the invalidation channel's slot: every instance loses its subscription.
    ChannelMaster,
    /// Another (chosen by the seed): subscriptions survive, the records it serves do not.
    OtherMaster,
}

async fn failover(victim: Victim) {
    let seed = seed(0xc1_57e4);
    let mut random = SplitMix(seed);
    let mut cluster = ClusterChild::start();
    let url = cluster.url();
    let ns = namespace();
    let (a, b) = (connect_to(&url, &ns).await, connect_to(&url, &ns).await);
    assert!(
        a.metrics().subscribed && b.metrics().subscribed,
        "both subscribed"
    );
    let ports = cluster_ports(&url);
    let channel_slot = slot_of(ports[0], &format!("{ns}:invalidations"));
    let channel_master =
        master_of(ports[0], channel_slot).expect("a master serves the channel's slot");
    let killed_master = match victim {
        Victim::ChannelMaster => channel_master,
        Victim::OtherMaster => {
            let others: Vec<u16> = masters(ports[0])
                .into_iter()
                .map(|(port, _)| port)
                .filter(|port| *port != channel_master)
                .collect();
            others[random.below(others.len() as u64) as usize]
        }
    };
    let killed_slot = masters(ports[0])
        .into_iter()
        .find(|(port, _)| *port == killed_master)
        .and_then(|(_, ranges)| ranges.first().map(|(first, _)| *first))
        .expect("the killed master serves a slot");
    let alive = seed_port_alive(&ports, killed_master);

    let rows: Arc<Vec<Row>> = Arc::new(
        (0..RECORDS)
            .map(|_| Row {
                id: Uuid::new_v4(),
                version: Arc::new(AtomicI64::new(1)),
                written: Mutex::new(Vec::new()),
            })
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let killed_at = Arc::new(OnceLock::new());
    let readers: Vec<_> = [("A", &a), ("B", &b), ("B", &b)]
        .into_iter()
        .map(|(instance, cache)| {
            tokio::spawn(reader(
                (instance, cache.clone()),
                Arc::clone(&rows),
                SplitMix(random.next()),
                Arc::clone(&stop),
                Arc::clone(&killed_at),
            ))
        })
        .collect();
    let writer = {
        let (a, rows, stop) = (a.clone(), Arc::clone(&rows), Arc::clone(&stop));
        let mut random = SplitMix(random.next());
        let token = AtomicU64::new(1);
        tokio::spawn(async move {
            let mut writes = 0_u64;
            while !stop.load(Ordering::SeqCst) {
                let row = &rows[random.below(RECORDS as u64) as usize];
                let version = row.version.fetch_add(1, Ordering::SeqCst) + 1;
                let position = token.fetch_add(1, Ordering::SeqCst);
                a.invalidate(&event(
                    EntityKind::STUDENT,
                    row.id,
                    ChangeOp::Updated,
                    version,
                    position,
                ))
                .await;
                row.written
                    .lock()
                    .expect("not poisoned")
                    .push((version, Instant::now()));
                writes += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            writes
        })
    };

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = (a.metrics(), b.metrics());
    cluster.kill(killed_master);
    let killed = Instant::now();
    killed_at.get_or_init(|| killed);
    // The replica takes over: the channel's slot has a master again, and both instances are
    // subscribed there.
    let mut promoted = None;
    while killed.elapsed() < Duration::from_secs(20) {
        promoted = master_of(alive, killed_slot).filter(|port| *port != killed_master);
        if promoted.is_some()
            && a.metrics().subscribed
            && b.metrics().subscribed
            && !a.replay_pending()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = killed.elapsed();
    // Keep going a while on the reconfigured cluster.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let settled = (a.metrics(), b.metrics());
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let writes = writer.await.expect("the writer ran");
    let mut reads = 0;
    let mut stale = Vec::new();
    for reader in readers {
        let (count, found) = reader.await.expect("a reader ran");
        reads += count;
        stale.extend(found);
    }
    let after = (a.metrics(), b.metrics());
    println!(
        "failover ({victim:?}): killed master :{killed_master}, promoted {promoted:?} after {recovered:?}; \
         {writes} writes, {reads} reads, {} stale; redis errors A {} B {}, breaker opens A {} B {}",
        stale.len(),
        after.0.redis_errors,
        after.1.redis_errors,
        after.0.circuit_opens,
        after.1.circuit_opens,
    );

    assert!(
        promoted.is_some(),
        "no replica took over the channel's slot in 20 s"
    );
    assert!(stale.is_empty(), "stale reads past {BOUND:?}: {stale:#?}");
    assert!(
        writes > 100 && reads > 500,
        "the workload ran: {writes} writes, {reads} reads"
    );
    assert!(
        after.0.redis_errors + after.1.redis_errors > before.0.redis_errors + before.1.redis_errors,
        "the failover was felt"
    );
    assert!(
        after.0.subscribed && after.1.subscribed,
        "both subscribed again"
    );
    assert!(
        !a.replay_pending(),
        "A's queued invalidations were replayed"
    );
    // Caching through the cluster resumed: B answers from Redis again after the failover.
    assert!(
        after.1.l2_hits + after.1.fills > settled.1.l2_hits + settled.1.fills,
        "B used the cluster after the failover"
    );
    // Every instance sees invalidations again: a write through A reaches B.
    assert!(
        after.1.invalidations_received > settled.1.invalidations_received,
        "B received invalidations after the failover"
    );
}

/// A port of `ports` other than the killed one.
fn seed_port_alive(ports: &[u16], killed: u16) -> u16 {
    ports
        .iter()
        .copied()
        .find(|port| *port != killed)
        .expect("more than one node")
}
