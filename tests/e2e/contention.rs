//! Writes without `If-Match` under contention, on Postgres through two server processes:
//! many concurrent `PATCH`es of one record, each setting a field of its own, are all applied
//! (`200`) or refused as overtaken (`409`), never `412` (no precondition was sent); none of
//! the applied ones is lost, and a refused one changed nothing.
//!
//! Seeded: `CAMPUSHUB_CONTENTION_SEED` (decimal) replays the choices of a run (which instance
//! each writer uses, when it starts, what it writes); the interleaving is up to the machine.

use std::collections::BTreeMap;
use std::time::Duration;

use campushub::server::Rng;
use serde_json::{json, Value};

use crate::support::instance::pair;
use crate::support::records::{department, id, student};

/// Writers per record, and records.
const WRITERS: usize = 24;
const ROUNDS: usize = 3;

fn seed() -> u64 {
    match std::env::var("CAMPUSHUB_CONTENTION_SEED") {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("CAMPUSHUB_CONTENTION_SEED: `{text}` is not a number")),
        _ => 0x00C0_FFEE,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_without_if_match_are_applied_or_409_and_none_is_lost() {
    let seed = seed();
    let replay = format!("replay with CAMPUSHUB_CONTENTION_SEED={seed}");
    let (db, a, b) = pair().await;

    // One text custom field per writer: each writer's merge patch touches only its own key.
    for writer in 0..WRITERS {
        let definition = json!({
            "entity": "student", "name": format!("w{writer}"), "label": format!("Writer {writer}"),
            "field_type": "text",
        });
        a.http.create("/api/v1/custom-fields", definition).await;
    }
    let math = department(&a.http, "MATH").await;

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for round in 0..ROUNDS {
        let created = student(&a.http, &math, &format!("CONT-{round}")).await;
        let path = format!("/api/v1/students/{}", id(&created.json()));
        let mut rng = Rng::stream(seed, round as u64);
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let http = if rng.chance(0.5) {
                a.http.clone()
            } else {
                b.http.clone()
            };
            let pause = Duration::from_millis(rng.below(15));
            let value = format!("r{round}-w{writer}-{}", rng.below(1_000_000));
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(pause).await;
                let body = json!({"custom_fields": {format!("w{writer}"): value.clone()}});
                let reply = http.patch(&path, &[], body).await;
                (writer, value, reply)
            }));
        }
        let mut applied = BTreeMap::new();
        let mut refused = Vec::new();
        for task in tasks {
            let (writer, value, reply) = task.await.expect("a writer task");
            *statuses.entry(reply.status).or_default() += 1;
            match reply.status {
                200 => {
                    applied.insert(writer, value);
                }
                409 => {
                    let problem = reply.json();
                    assert_eq!(
                        problem["type"], "urn:campushub:problem:concurrent-writes",
                        "{problem}; {replay}"
                    );
                    refused.push(writer);
                }
                other => panic!("writer {writer}: {other} {}; {replay}", reply.text()),
            }
        }
        assert!(!applied.is_empty(), "someone must win; {replay}");

        // The final state, read on the primary's side with a token after every write.
        let marker = a.http.patch(&path, &[], json!({"semester": 2})).await;
        assert_eq!(marker.status, 200, "{}", marker.text());
        let token = marker.header("consistency-token").expect("a token");
        let stored = b
            .http
            .get_with(&path, &[("consistency-token", &token)])
            .await
            .json();
        let fields = &stored["custom_fields"];
        for (writer, value) in &applied {
            assert_eq!(
                fields[format!("w{writer}")],
                Value::from(value.as_str()),
                "round {round}: the applied write of writer {writer} was lost: {stored}; {replay}"
            );
        }
        for writer in &refused {
            assert!(
                fields[format!("w{writer}")].is_null(),
                "round {round}: the refused write of writer {writer} was applied: {stored}; {replay}"
            );
        }
        // Version 1, one per applied writer, one for the marker: nothing committed twice.
        assert_eq!(
            stored["version"],
            json!(applied.len() + 2),
            "round {round}: {} applied; {replay}",
            applied.len()
        );
    }
    eprintln!("statuses over {ROUNDS} rounds of {WRITERS} writers: {statuses:?} (seed {seed})");

    drop((a, b));
    db.drop_database().await;
}
