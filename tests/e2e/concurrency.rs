//! Optimistic concurrency across instances: concurrent `PATCH`es carrying the same `If-Match`,
//! sent through nginx to two instances, produce exactly one `200`; every other one is `412`,
//! and nothing is lost.

use serde_json::json;

use crate::support::balanced::balanced_pair;
use crate::support::records::{department, id, student};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_with_one_if_match_have_exactly_one_winner() {
    let pair = balanced_pair().await;
    let http = &pair.http;

    let math = department(http, "MATH").await;
    let created = student(http, &math, "RACE-001").await;
    let etag = created.header("etag").expect("an ETag");
    let path = format!("/api/v1/students/{}", id(&created.json()));

    let writers = 10;
    let mut tasks = Vec::new();
    for n in 0..writers {
        // nginx spreads them over both instances.
        let http = http.clone();
        let (path, etag) = (path.clone(), etag.clone());
        tasks.push(tokio::spawn(async move {
            let reply = http
                .patch(&path, &[("if-match", &etag)], json!({"semester": n + 1}))
                .await;
            (n + 1, reply)
        }));
    }
    let mut winners = Vec::new();
    let mut refused = 0;
    for task in tasks {
        let (semester, reply) = task.await.expect("a writer task");
        match reply.status {
            200 => winners.push((semester, reply)),
            412 => refused += 1,
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one PATCH must win");
    assert_eq!(refused, writers - 1);

    let (semester, winner) = &winners[0];
    let token = winner.header("consistency-token").expect("a token");
    let stored = http
        .get_with(&path, &[("consistency-token", &token)])
        .await
        .json();
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["semester"], *semester);

    pair.finish().await;
}
