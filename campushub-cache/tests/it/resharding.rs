//! The invalidation channel's slot moves to another master (resharding, on a cluster of this
//! test's own): the old master tells its subscribers (`sunsubscribe`), every instance
//! subscribes again where the slot went and flushes its L1, and invalidations flow again.

use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use campushub_core::{Cache, ChangeOp, EntityKind};
use uuid::Uuid;

use crate::support::{
    cluster_ports, connect_to, event, from_db, master_of, masters, namespace, record, slot_of,
    ClusterChild,
};

/// `redis-cli -p port args...`, its output.
fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Moves `slot` (holding no keys) from the master on `from` to the one on `to`, as
/// `redis-cli --cluster reshard` does: importing, migrating, then the new owner on every
/// master.
fn move_slot(slot: u16, from: u16, to: u16, masters: &[u16]) {
    let (from_id, to_id) = (
        redis_cli(from, &["cluster", "myid"]),
        redis_cli(to, &["cluster", "myid"]),
    );
    let slot = slot.to_string();
    assert_eq!(redis_cli(from, &["cluster", "countkeysinslot", &slot]), "0");
    assert_eq!(
        redis_cli(to, &["cluster", "setslot", &slot, "importing", &from_id]),
        "OK"
    );
    assert_eq!(
        redis_cli(from, &["cluster", "setslot", &slot, "migrating", &to_id]),
        "OK"
    );
    for port in [to, from].iter().chain(masters) {
        redis_cli(*port, &["cluster", "setslot", &slot, "node", &to_id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channels_slot_moving_resubscribes_every_instance_and_flushes_l1() {
    let cluster = ClusterChild::start();
    let url = cluster.url();
    let ns = namespace();
    let (a, b) = (connect_to(&url, &ns).await, connect_to(&url, &ns).await);
    assert!(a.metrics().subscribed && b.metrics().subscribed);
    let ports = cluster_ports(&url);
    let slot = slot_of(ports[0], &format!("{ns}:invalidations"));
    let from = master_of(ports[0], slot).expect("a master serves the channel");
    let others: Vec<u16> = masters(ports[0])
        .into_iter()
        .map(|(port, _)| port)
        .filter(|port| *port != from)
        .collect();

    let id = Uuid::new_v4();
    let key = record(EntityKind::STUDENT, id);
    let db = Arc::new(AtomicI64::new(1));
    b.get_or_load(&key, None, from_db(&db)).await.expect("load");
    b.get_or_load(&key, None, from_db(&db)).await.expect("hit");
    assert_eq!(b.metrics().l1_hits, 1, "B holds the record in L1");

    move_slot(slot, from, others[0], &others);
    assert_eq!(master_of(ports[0], slot), Some(others[0]), "the slot moved");

    // B's L1 is flushed once it has subscribed again: a read is then not an L1 hit.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut flushed = false;
    while !flushed && Instant::now() < deadline {
        let hits = b.metrics().l1_hits;
        b.get_or_load(&key, None, from_db(&db)).await.expect("read");
        flushed = b.metrics().l1_hits == hits;
        if !flushed {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(flushed, "B's L1 still answered 10 s after the slot moved");
    assert!(
        tokio::time::timeout(Duration::from_secs(10), async {
            while !(a.metrics().subscribed && b.metrics().subscribed) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .is_ok(),
        "both subscribed again"
    );

    // Invalidations travel through the slot's new master: a write through A reaches B's L1.
    b.get_or_load(&key, None, from_db(&db)).await.expect("read");
    let received = b.metrics().invalidations_received;
    db.store(2, Ordering::SeqCst);
    a.invalidate(&event(EntityKind::STUDENT, id, ChangeOp::Updated, 2, 7))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.metrics().invalidations_received == received && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        b.metrics().invalidations_received > received,
        "B received A's invalidation through the new master"
    );
    let seen = b.get_or_load(&key, None, from_db(&db)).await.expect("read");
    assert_eq!(seen.map(|v| v.version), Some(2));
}
