//! The department tree stays a tree under concurrency: moves that together would close a
//! cycle, sent at the same time through the service, are serialized by the store, which
//! refuses the one that closes it with the error a sequential cycle gets. Also the store's
//! own check, without the service's rule: single writes, batches, and the depth bound.

use campushub_core::BatchMode;
use std::collections::HashMap;
use std::sync::Arc;

use campushub_core::repository::BulkWritten;
use campushub_core::service::{DepartmentHierarchy, MAX_HIERARCHY_DEPTH};
use campushub_core::{
    Department, EntityService, Error, Principal, ReadOptions, ReadRoute, Repository, Role,
};
use campushub_sqlx::{Backend, SqlRepository, SqliteStore};
use campushub_testkit::SeededRng;
use serde_json::{json, Map, Value};
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::support::fixtures::department;
use crate::support::pgdb::TestDb;
use crate::support::sqlite_file::SqliteFile;

/// Rounds of concurrent moves: each round gives the race another chance to show.
const ROUNDS: usize = 200;

/// The seed of the moves' shapes and order (`CAMPUSHUB_TEST_SEED` replays another).
const SEED: u64 = 0x5EED_0007;

fn admin() -> Principal {
    Principal::new("tester", [Role::ADMIN])
}

fn move_under(parent: Uuid) -> Map<String, Value> {
    let mut patch = Map::new();
    patch.insert("parent_id".into(), json!(parent));
    patch
}

/// The departments service as the server builds it: the hierarchy rule over the same store.
fn service<B: Backend>(backend: B) -> (EntityService<Department>, Arc<dyn Repository<Department>>) {
    let repository: Arc<dyn Repository<Department>> =
        Arc::new(SqlRepository::<Department, B>::new(backend));
    let service = EntityService::builder(Arc::clone(&repository))
        .rules(Arc::new(DepartmentHierarchy::new(Arc::clone(&repository))))
        .build();
    (service, repository)
}

fn primary() -> ReadOptions {
    ReadOptions::default().on(ReadRoute::Primary)
}

/// Whether walking up from any of `ids` comes back to a department already on the walk.
async fn has_cycle(repository: &dyn Repository<Department>, ids: &[Uuid]) -> bool {
    let stored = repository
        .get_many(ids, &primary())
        .await
        .expect("read back");
    let parents: HashMap<Uuid, Option<Uuid>> =
        stored.iter().map(|d| (d.meta.id, d.parent_id)).collect();
    ids.iter().any(|start| {
        let mut seen = vec![*start];
        let mut next = parents.get(start).copied().flatten();
        while let Some(id) = next {
            if seen.contains(&id) {
                return true;
            }
            seen.push(id);
            next = parents.get(&id).copied().flatten();
        }
        false
    })
}

/// The error a cycle gets when the moves come one after the other (the service's rule).
async fn sequential_cycle_error(service: &EntityService<Department>) -> Error {
    let a = service
        .create_json(&admin(), json!({"code": "SEQA", "name": "Sequential A"}))
        .await
        .expect("create")
        .record;
    let b = service
        .create_json(&admin(), json!({"code": "SEQB", "name": "Sequential B"}))
        .await
        .expect("create")
        .record;
    service
        .partial_update(&admin(), a.meta.id, move_under(b.meta.id), None)
        .await
        .expect("the first move is legal");
    service
        .partial_update(&admin(), b.meta.id, move_under(a.meta.id), None)
        .await
        .expect_err("the second move closes a cycle")
}

/// `ROUNDS` rounds of 2 or 3 departments, each moved under the next at the same moment
/// (a ring: only all of the moves together close the cycle). Every round must refuse exactly
/// one move, with the sequential error, and leave no cycle.
async fn concurrent_moves_never_close_a_cycle<B: Backend>(backend: B) {
    let seed = SeededRng::seed_from_env("CAMPUSHUB_TEST_SEED", SEED);
    let mut rng = SeededRng::new(seed);
    let (service, repository) = service(backend);
    let service = Arc::new(service);
    let expected = sequential_cycle_error(&service).await;
    assert_eq!(
        expected.validation_errors(),
        DepartmentHierarchy::cycle_error().validation_errors(),
        "the rule refuses with the hierarchy's cycle error"
    );

    for round in 0..ROUNDS {
        let size = 2 + rng.below(2) as usize;
        let ring: Vec<Department> = (0..size)
            .map(|i| department(&format!("R{round}X{i}")))
            .collect();
        let written = repository
            .insert_many(&ring, BatchMode::EachRow)
            .await
            .expect("the ring");
        assert!(written.rows.iter().all(Result::is_ok), "{written:?}");
        let ids: Vec<Uuid> = ring.iter().map(|d| d.meta.id).collect();

        let barrier = Arc::new(Barrier::new(size));
        let mut order: Vec<usize> = (0..size).collect();
        order.rotate_left(rng.below(size as u64) as usize);
        let mut moves = Vec::new();
        for i in order {
            let (service, barrier) = (Arc::clone(&service), Arc::clone(&barrier));
            let (id, parent) = (ids[i], ids[(i + 1) % size]);
            let yields = rng.below(3);
            moves.push(tokio::spawn(async move {
                barrier.wait().await;
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
                service
                    .partial_update(&admin(), id, move_under(parent), None)
                    .await
            }));
        }
        let mut refused = Vec::new();
        for outcome in moves {
            if let Err(error) = outcome.await.expect("the move's task") {
                refused.push(error);
            }
        }
        let context = format!("round {round} of seed {seed} (CAMPUSHUB_TEST_SEED={seed})");
        assert!(
            !has_cycle(&*repository, &ids).await,
            "{context}: the ring of {size} closed into a cycle"
        );
        assert_eq!(refused.len(), 1, "{context}: {refused:?}");
        assert_eq!(
            refused[0].validation_errors(),
            expected.validation_errors(),
            "{context}: refused with another error than a sequential cycle: {:?}",
            refused[0]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_concurrent_moves_never_close_a_cycle() {
    let db = TestDb::shared().await;
    concurrent_moves_never_close_a_cycle(db.primary_router().await).await;
}

/// On an SQLite file of the test's own: several connections, unlike `:memory:`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_moves_never_close_a_cycle() {
    let file = SqliteFile::new("tree");
    concurrent_moves_never_close_a_cycle(file.migrated_store().await).await;
}

/// The store refuses what the rule would, on its own: a move under a descendant, a chain
/// beyond the bound, and rows of one batch that close a cycle together (all of them; the
/// batch's other rows are written).
async fn the_store_checks_the_tree<B: Backend>(backend: B) {
    let repository = SqlRepository::<Department, B>::new(backend);
    let cycle = DepartmentHierarchy::cycle_error();

    let root = department("ROOT");
    let mut child = department("CHILD");
    child.parent_id = Some(root.meta.id);
    repository
        .insert_many(&[root.clone(), child.clone()], BatchMode::EachRow)
        .await
        .expect("a root and its child");
    let (root_moved, expected) = moved(&root, child.meta.id);
    let refused = repository
        .update(&root_moved, expected)
        .await
        .expect_err("the root under its own child");
    assert_eq!(refused.validation_errors(), cycle.validation_errors());
    let stored = repository
        .get(root.meta.id, &primary())
        .await
        .expect("read");
    assert_eq!(stored.map(|d| d.parent_id), Some(None), "nothing written");

    // A chain of MAX_HIERARCHY_DEPTH + 1 departments: one more level is too deep.
    let mut chain = vec![department("C0")];
    for level in 1..=MAX_HIERARCHY_DEPTH {
        let mut next = department(&format!("C{level}"));
        next.parent_id = Some(chain[level - 1].meta.id);
        chain.push(next);
    }
    let written = repository
        .insert_many(&chain, BatchMode::EachRow)
        .await
        .expect("the chain");
    assert!(written.rows.iter().all(Result::is_ok), "{written:?}");
    let mut leaf = department("LEAF");
    leaf.parent_id = chain.last().map(|d| d.meta.id);
    let refused = repository.insert(&leaf).await.expect_err("too deep");
    let too_deep = DepartmentHierarchy::too_deep_error();
    assert_eq!(refused.validation_errors(), too_deep.validation_errors());

    // One batch: X and Y under each other (refused, both), Z under the root (written).
    let (mut x, mut y, mut z) = (department("X"), department("Y"), department("Z"));
    x.parent_id = Some(y.meta.id);
    y.parent_id = Some(x.meta.id);
    z.parent_id = Some(root.meta.id);
    let batch = repository
        .insert_many(&[x.clone(), y.clone(), z.clone()], BatchMode::EachRow)
        .await
        .expect("the batch");
    assert_two_refused_then_written(&batch);
    let stored = repository
        .get_many(&[x.meta.id, y.meta.id, z.meta.id], &primary())
        .await
        .expect("read");
    let codes: Vec<&str> = stored.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["Z"]);

    // The same in an update batch over stored rows: the child under Z, Z under the child.
    let mut renamed = chain[0].clone();
    renamed.name = "Renamed".into();
    renamed.meta = chain[0].meta.next();
    let batch = repository
        .update_many(
            &[
                moved(&child, z.meta.id),
                moved(&z, child.meta.id),
                (renamed, chain[0].meta.version),
            ],
            BatchMode::EachRow,
        )
        .await
        .expect("the batch");
    assert_two_refused_then_written(&batch);
}

/// `department` under `parent` at its next version, with the version the update expects.
fn moved(department: &Department, parent: Uuid) -> (Department, i64) {
    let mut moved = department.clone();
    moved.parent_id = Some(parent);
    moved.meta = department.meta.next();
    (moved, department.meta.version)
}

/// A batch of three whose first two rows closed a cycle together: both refused with the
/// cycle error, the third written.
fn assert_two_refused_then_written(batch: &BulkWritten) {
    let cycle = DepartmentHierarchy::cycle_error();
    for row in &batch.rows[..2] {
        let error = row.as_ref().expect_err("a row of the cycle");
        assert_eq!(error.validation_errors(), cycle.validation_errors());
    }
    assert!(batch.rows[2].is_ok(), "{:?}", batch.rows[2]);
}

#[tokio::test]
async fn pg_the_store_checks_the_tree() {
    let db = TestDb::shared().await;
    the_store_checks_the_tree(db.primary_router().await).await;
}

#[tokio::test]
async fn sqlite_the_store_checks_the_tree() {
    the_store_checks_the_tree(SqliteStore::memory().await.expect("sqlite")).await;
}
