//! The transactional outbox on both backends: every committed change leaves one row, written
//! in its transaction by the tables' triggers, whoever made it; the relay delivers each at
//! least once, in commit order per record, with the audit entry's actor and request id, and
//! deletes it. A failed write leaves none; a change made outside CampusHub gets a new version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use campushub_core::conformance::data::student_input;
use campushub_core::{
    BatchMode, ChangeEvent, ChangeHook, ChangeOp, CustomFieldDef, EntityKind, EntityService, Error,
    Principal, ReadOptions, ReadRoute, Repository, RequestOrigin, Role, Student,
};
use campushub_sqlx::{Backend, OutboxRelay, SqlRepository};
use campushub_testkit::SeededRng;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::support::pgdb::TestDb;
use crate::support::recorder::Recorder;
use crate::support::sqlite_file::SqliteFile;

/// The advisory lock a delivering relay holds (`src/outbox/pg.rs`).
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;

fn registrar(request_id: &str) -> Principal {
    Principal::new("registrar-7", [Role::ADMIN]).with_origin(RequestOrigin {
        request_id: Some(request_id.to_owned()),
        client_address: None,
    })
}

fn students<B: Backend>(backend: &B) -> EntityService<Student> {
    let repository: Arc<dyn Repository<Student>> = Arc::new(SqlRepository::new(backend.clone()));
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(SqlRepository::new(backend.clone()));
    EntityService::builder(repository)
        .custom_fields(definitions)
        .build()
}

fn body(roll: &str) -> serde_json::Value {
    serde_json::to_value(student_input(roll)).expect("a body")
}

/// `(op, version, actor, request id)` of each event.
fn summary(events: &[ChangeEvent]) -> Vec<(ChangeOp, i64, Option<String>, Option<String>)> {
    events
        .iter()
        .map(|e| (e.op, e.version, e.actor.clone(), e.request_id.clone()))
        .collect()
}

/// Service writes of every kind, a failed one, and a change made behind CampusHub's back with
/// `external` (SQL that sets a student's first name by id, leaving the version alone): each
/// committed change is delivered once, in order, with its actor, then the outbox is empty.
async fn every_change_is_delivered_once<B, F>(backend: B, relay: OutboxRelay, external: F)
where
    B: Backend,
    F: AsyncFn(Uuid),
{
    let recorder = Arc::new(Recorder::default());
    let relay = relay
        .kind(EntityKind::STUDENT, &[])
        .hook(Arc::clone(&recorder) as Arc<dyn ChangeHook>);
    relay.drain().await.expect("nothing pending before");
    recorder.take();
    let service = students(&backend);

    let created = service
        .create_json(&registrar("r-1"), body("OB1"))
        .await
        .expect("create");
    let id = created.record.meta.id;
    let patch = serde_json::json!({"first_name": "Ada"});
    service
        .partial_update(
            &registrar("r-2"),
            id,
            patch.as_object().cloned().unwrap_or_default(),
            Some(1),
        )
        .await
        .expect("patch");
    let stale = serde_json::json!({"first_name": "Stale"});
    let refused = service
        .partial_update(
            &registrar("r-3"),
            id,
            stale.as_object().cloned().unwrap_or_default(),
            Some(1),
        )
        .await;
    assert!(
        matches!(refused, Err(Error::PreconditionFailed { .. })),
        "{refused:?}"
    );
    external(id).await;
    let read = SqlRepository::<Student, B>::new(backend.clone())
        .get(id, &ReadOptions::default().on(ReadRoute::Primary))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        (read.meta.version, read.person.first_name.as_str()),
        (3, "Outside"),
        "a change made outside CampusHub gets a version of its own"
    );
    service
        .destroy(&registrar("r-4"), id, Some(3))
        .await
        .expect("delete");
    let bulk = service
        .bulk_create(
            &registrar("r-5"),
            vec![body("OB2"), body("OB3")],
            BatchMode::AllOrNothing,
        )
        .await
        .expect("bulk");
    assert_eq!(bulk.succeeded, 2, "{bulk:?}");

    assert_eq!(relay.drain().await.expect("drain"), 6, "one row per change");
    let stats = relay.stats();
    assert_eq!(stats.delivered, 6, "{stats:?}");
    assert!(stats.oldest_pending_micros > 0, "{stats:?}");
    let events = recorder.take();
    let who = |r: &str| (Some("registrar-7".to_owned()), Some(r.to_owned()));
    let expected_first = vec![
        (ChangeOp::Created, 1, who("r-1").0, who("r-1").1),
        (ChangeOp::Updated, 2, who("r-2").0, who("r-2").1),
    ];
    assert_eq!(summary(&events[..2]), expected_first);
    let outside = &events[2];
    assert_eq!((outside.op, outside.version), (ChangeOp::Updated, 3));
    assert!(
        outside
            .actor
            .as_deref()
            .is_some_and(|a| a.starts_with("database:")),
        "an outside change names the database role: {outside:?}"
    );
    assert_eq!(outside.request_id, None);
    assert_eq!(
        summary(&events[3..4]),
        vec![(ChangeOp::Deleted, 4, who("r-4").0, who("r-4").1)]
    );
    assert!(events.iter().take(4).all(|e| e.id == id));
    assert_eq!(
        summary(&events[4..]),
        vec![(ChangeOp::Created, 1, who("r-5").0, who("r-5").1); 2]
    );
    assert_eq!(
        relay.drain().await.expect("drain"),
        0,
        "delivered rows are gone"
    );
    assert!(recorder.take().is_empty());
}

#[tokio::test]
async fn sqlite_every_change_is_delivered_once() {
    let file = SqliteFile::new("outbox");
    let store = file.migrated_store().await;
    let outside = store.clone();
    every_change_is_delivered_once(
        store.clone(),
        OutboxRelay::sqlite(store),
        async move |id: Uuid| {
            sqlx::query("UPDATE students SET first_name = 'Outside' WHERE id = ?")
                .bind(id.to_string())
                .execute(outside.pool())
                .await
                .expect("outside update");
        },
    )
    .await;
}

#[tokio::test]
async fn pg_every_change_is_delivered_once() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let url = db.primary.clone();
    every_change_is_delivered_once(
        router.clone(),
        OutboxRelay::postgres(router),
        async move |id: Uuid| {
            let mut psql = PgConnection::connect(&url).await.expect("connect");
            sqlx::query("UPDATE students SET first_name = 'Outside' WHERE id = $1")
                .bind(id)
                .execute(&mut psql)
                .await
                .expect("outside update");
        },
    )
    .await;
}

/// While another instance's relay delivers (it holds the relay lock), a round stands by and
/// delivers nothing; once the lock is free it delivers.
#[tokio::test]
async fn pg_one_relay_delivers_at_a_time() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let relay = OutboxRelay::postgres(router.clone()).kind(EntityKind::STUDENT, &[]);
    students(&router)
        .create_json(&registrar("r"), body("LOCK1"))
        .await
        .expect("create");
    let mut other = PgConnection::connect(&db.primary).await.expect("connect");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(RELAY_LOCK)
        .execute(&mut other)
        .await
        .expect("lock");
    let round = relay.deliver_pending().await.expect("round");
    assert!(round.standing_by && round.delivered == 0, "{round:?}");
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(RELAY_LOCK)
        .execute(&mut other)
        .await
        .expect("unlock");
    let round = relay.deliver_pending().await.expect("round");
    assert_eq!((round.standing_by, round.delivered), (false, 1));
}

/// A running relay delivers an outside change within a second (its default poll interval is
/// a quarter second).
#[tokio::test]
async fn pg_a_running_relay_delivers_an_outside_change_within_a_second() {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let created = students(&router)
        .create_json(&registrar("r"), body("WAKE1"))
        .await
        .expect("create");
    let recorder = Arc::new(Recorder::default());
    let relay = OutboxRelay::postgres(router.clone())
        .kind(EntityKind::STUDENT, &[])
        .hook(Arc::clone(&recorder) as Arc<dyn ChangeHook>);
    let _running = relay.spawn();
    let drained = async {
        while recorder.len() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), drained)
        .await
        .expect("the first round delivers what was pending");
    recorder.take();
    let mut psql = PgConnection::connect(&db.primary).await.expect("connect");
    sqlx::query("UPDATE students SET first_name = 'Woken' WHERE id = $1")
        .bind(created.record.meta.id)
        .execute(&mut psql)
        .await
        .expect("outside update");
    let started = std::time::Instant::now();
    let delivered = async {
        loop {
            if let Some(event) = recorder.take().into_iter().next() {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let event = tokio::time::timeout(Duration::from_secs(1), delivered)
        .await
        .expect("delivered within a second of the commit");
    assert_eq!((event.id, event.version), (created.record.meta.id, 2));
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// Randomized and concurrent, seeded (`OUTBOX_SEED` replays a run): writers create, update
/// and delete students while two relays deliver at the same time. Every committed change is
/// delivered, each record's changes arrive in version order, and nothing is left behind.
#[tokio::test]
async fn pg_concurrent_writers_and_relays_deliver_every_change_in_order() {
    let seed = SeededRng::seed_from_env("OUTBOX_SEED", 0x0b0c);
    println!("OUTBOX_SEED={seed}");
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let recorder = Arc::new(Recorder::default());
    let relay = |_| {
        OutboxRelay::postgres(router.clone())
            .kind(EntityKind::STUDENT, &[])
            .hook(Arc::clone(&recorder) as Arc<dyn ChangeHook>)
            .batch_size(7)
            .poll_interval(Duration::from_millis(20))
            .spawn()
    };
    let relays: Vec<_> = (0..2).map(relay).collect();
    let service = students(&router);
    let committed: Arc<Mutex<HashMap<Uuid, Vec<i64>>>> = Arc::default();
    let writers = (0..4u64).map(|writer| {
        let service = service.clone();
        let committed = Arc::clone(&committed);
        let mut rng = SeededRng::new(seed ^ writer);
        tokio::spawn(async move {
            let principal = registrar(&format!("w{writer}"));
            let mut mine: Vec<(Uuid, i64)> = Vec::new();
            for step in 0..40 {
                let choice = rng.below(10);
                if mine.is_empty() || choice < 3 {
                    let roll = format!("CW{writer}-{step}");
                    let done = service.create_json(&principal, body(&roll)).await;
                    let record = done.expect("create").record;
                    mine.push((record.meta.id, 1));
                    committed
                        .lock()
                        .expect("log")
                        .entry(record.meta.id)
                        .or_default()
                        .push(1);
                } else if choice < 9 {
                    let index = rng.below(mine.len() as u64) as usize;
                    let (id, version) = mine[index];
                    let name = format!("N{}", rng.below(1000));
                    let patch = serde_json::json!({ "first_name": name });
                    let patch = patch.as_object().cloned().unwrap_or_default();
                    service
                        .partial_update(&principal, id, patch, Some(version))
                        .await
                        .expect("patch");
                    mine[index].1 += 1;
                    let mut log = committed.lock().expect("log");
                    log.entry(id).or_default().push(version + 1);
                } else {
                    let (id, version) = mine.swap_remove(rng.below(mine.len() as u64) as usize);
                    service
                        .destroy(&principal, id, Some(version))
                        .await
                        .expect("delete");
                    let mut log = committed.lock().expect("log");
                    log.entry(id).or_default().push(version + 1);
                }
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("writer");
    }
    let expected: usize = committed.lock().expect("log").values().map(Vec::len).sum();
    let everything = async {
        while recorder.len() < expected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), everything)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: not every change was delivered"));
    // A round's hooks run before its rows are deleted (in the same transaction, committed
    // after them): the last round may still be committing once every event arrived.
    let outbox_rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM campushub_outbox")
            .fetch_one(router.primary_pool())
            .await
            .expect("count")
    };
    let emptied = async {
        while outbox_rows().await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), emptied)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: delivered rows are deleted"));
    drop(relays);
    let mut delivered: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for event in recorder.take() {
        delivered.entry(event.id).or_default().push(event.version);
    }
    assert_eq!(
        delivered,
        committed.lock().expect("log").clone(),
        "seed {seed}: every record's changes, once each, in commit order"
    );
    assert_eq!(outbox_rows().await, 0, "seed {seed}: nothing is left");
}
