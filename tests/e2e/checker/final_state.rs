//! The state after the run, once faults are healed and things settled: every record as the
//! primary has it (read with sqlx, the authority), and as each instance serves it, record by
//! record and group by group, with a token taken after every write of the run.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::Method;
use campushub::core::ConsistencyToken;
use serde_json::json;
use sqlx::{Connection, PgConnection, Row as _};

use super::history::{record_of, value_of, Item, Outcome, GROUP_SIZE, NONE};
use super::workload::{group_path, page_items, MARKER};
use crate::support::client::Reply;
use crate::support::Http;

/// A record as the primary has it.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: u32,
    /// Its value (the id of the write that set it).
    pub value: u32,
}

/// A record as an instance served it.
#[derive(Debug, Clone, Copy)]
pub struct FinalRead {
    /// The instance.
    pub instance: u8,
    /// The record.
    pub record: u32,
    /// The response.
    pub outcome: Outcome,
    /// Its version (0 unless `200`).
    pub version: u32,
    /// Its value.
    pub value: u32,
}

/// A group as an instance listed it.
#[derive(Debug, Clone)]
pub struct FinalList {
    /// The instance.
    pub instance: u8,
    /// The group.
    pub group: u32,
    /// The response.
    pub outcome: Outcome,
    /// The records listed.
    pub items: Vec<Item>,
}

/// The final state.
#[derive(Debug, Default)]
pub struct Finals {
    /// The token the final reads carried (a write made after the run).
    pub token: u64,
    /// The primary's rows by record.
    pub primary: HashMap<u32, Row>,
    /// Every record through both instances.
    pub reads: Vec<FinalRead>,
    /// Every group through both instances.
    pub lists: Vec<FinalList>,
}

/// Reads the final state: the primary's rows, then a write for a token that follows every
/// write of the run, then every record (those on the primary and the `known` ones, which
/// include deleted records) and group through both instances with that token (`workers` at a
/// time).
pub async fn read(
    primary_url: &str,
    http: &[Http; 2],
    records: u32,
    known: &[(u32, Arc<str>)],
    workers: usize,
) -> Finals {
    let primary = primary_rows(primary_url).await;
    let sentinel = http[0]
        .create(
            "/api/v1/departments",
            json!({"code": "CHKEND", "name": "Checker end"}),
        )
        .await;
    let token_text = sentinel
        .header("consistency-token")
        .expect("the final write carries a token");
    let token = token_text
        .parse::<ConsistencyToken>()
        .expect("a well-formed token")
        .position();
    let mut ids: Vec<(u32, String)> = primary
        .iter()
        .map(|(record, row)| (*record, row.id.clone()))
        .chain(known.iter().map(|(record, id)| (*record, id.to_string())))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let ids = Arc::new(ids);
    let groups = records.div_ceil(GROUP_SIZE);
    let mut tasks = Vec::new();
    for worker in 0..workers.max(1) {
        let (ids, http, token_text) = (ids.clone(), http.clone(), token_text.clone());
        tasks.push(tokio::spawn(async move {
            let header = [("consistency-token", token_text.as_str())];
            let mut reads = Vec::new();
            let mut lists = Vec::new();
            for (record, id) in ids.iter().skip(worker).step_by(workers.max(1)) {
                for (instance, http) in http.iter().enumerate() {
                    let reply = fetch(http, &format!("/api/v1/students/{id}"), &header).await;
                    let (version, value) = reply
                        .as_ref()
                        .filter(|r| r.status == 200)
                        .map(|r| {
                            let json = r.json();
                            (
                                json["version"].as_u64().unwrap_or(0) as u32,
                                value_of(json["first_name"].as_str().unwrap_or("")),
                            )
                        })
                        .unwrap_or((0, NONE));
                    reads.push(FinalRead {
                        instance: instance as u8,
                        record: *record,
                        outcome: outcome(&reply),
                        version,
                        value,
                    });
                }
            }
            for group in (worker as u32..groups).step_by(workers.max(1)) {
                for (instance, http) in http.iter().enumerate() {
                    let reply = fetch(http, &group_path(group), &header).await;
                    lists.push(FinalList {
                        instance: instance as u8,
                        group,
                        outcome: outcome(&reply),
                        items: reply
                            .as_ref()
                            .map(|reply| page_items(&reply.body))
                            .unwrap_or_default(),
                    });
                }
            }
            (reads, lists)
        }));
    }
    let mut finals = Finals {
        token,
        primary,
        ..Finals::default()
    };
    for task in tasks {
        let (reads, lists) = task.await.expect("a final-read worker");
        finals.reads.extend(reads);
        finals.lists.extend(lists);
    }
    finals
}

/// Records that were reserved but never reached the primary are simply absent.
async fn primary_rows(url: &str) -> HashMap<u32, Row> {
    let mut conn = PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the primary {url}: {e}"));
    let rows = sqlx::query(
        "SELECT id::text AS id, version, first_name, roll_number FROM students WHERE last_name = $1",
    )
    .bind(MARKER)
    .fetch_all(&mut conn)
    .await
    .expect("the students on the primary");
    rows.iter()
        .map(|row| {
            let roll: String = row.get("roll_number");
            let version: i64 = row.get("version");
            let first_name: String = row.get("first_name");
            (
                record_of(&roll),
                Row {
                    id: row.get("id"),
                    version: version as u32,
                    value: value_of(&first_name),
                },
            )
        })
        .collect()
}

async fn fetch(http: &Http, path: &str, headers: &[(&str, &str)]) -> Option<Reply> {
    http.attempt(Method::GET, path, headers, None).await.ok()
}

fn outcome(reply: &Option<Reply>) -> Outcome {
    reply
        .as_ref()
        .map_or(Outcome::Broken, |r| Outcome::Status(r.status))
}
