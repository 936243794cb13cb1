//! The workload: logical clients, each with its own seeded generator, sending creates,
//! patches (with and without `If-Match`), deletes, reads and lists (with and without their
//! highest token) to an instance chosen at random per request, as a load balancer would, and
//! recording every request in their [`Log`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::Method;
use campushub::core::ConsistencyToken;
use campushub::server::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::history::{
    group_of, record_of, roll_number, value_of, value_text, Clock, Entry, Item, Log, Micros, Op,
    Outcome, ABSENT, DELETED, NONE, NO_TOKEN,
};
use crate::support::client::{Failure, Reply};
use crate::support::Http;

/// The last name of every record of the run: lists select the run's records by it.
pub const MARKER: &str = "Checker";

/// A request without a response after this long is a failure (a hang).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Attempts of one request before giving up (refused connections, unanswered reads).
const MAX_ATTEMPTS: u32 = 40;

/// Records picked from the newest ones, so that writes and reads meet on the same records.
const HOT: u64 = 40;

/// The state the clients share.
pub struct Shared {
    /// Clients of instance A and B.
    pub http: [Http; 2],
    /// The records.
    pub registry: Mutex<Registry>,
    /// The run's clock.
    pub clock: Clock,
    /// When clients stop starting operations (set once the pool exists).
    deadline: AtomicU64,
    next_write: AtomicU32,
    requests: AtomicU64,
}

impl Shared {
    /// The shared state of clients of `http`.
    pub fn new(http: [Http; 2], clock: Clock) -> Shared {
        Shared {
            http,
            registry: Mutex::new(Registry::default()),
            clock,
            deadline: AtomicU64::new(0),
            next_write: AtomicU32::new(1),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests recorded so far (for progress lines).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Clients stop starting operations at `deadline`.
    pub fn set_deadline(&self, deadline: Micros) {
        self.deadline.store(deadline, Ordering::SeqCst);
    }

    /// The registry (a client that panicked while holding it cannot leave it half-updated:
    /// every update is a single step).
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh write id (its value).
    fn write_id(&self) -> u32 {
        self.next_write.fetch_add(1, Ordering::Relaxed)
    }
}

/// The run's records: their ids once known and which ones clients may still pick.
#[derive(Debug, Default)]
pub struct Registry {
    ids: Vec<Option<Arc<str>>>,
    live: Vec<u32>,
    position: Vec<u32>,
}

impl Registry {
    /// A new record's index (its roll number), before its create is sent.
    fn reserve(&mut self) -> u32 {
        self.ids.push(None);
        self.position.push(NONE);
        (self.ids.len() - 1) as u32
    }

    /// Its create was acknowledged: clients may pick it.
    fn created(&mut self, record: u32, id: &str) {
        let slot = record as usize;
        self.ids[slot] = Some(Arc::from(id));
        self.position[slot] = self.live.len() as u32;
        self.live.push(record);
    }

    /// Its delete is about to be sent: clients stop picking it.
    fn retire(&mut self, record: u32) {
        let at = self.position[record as usize];
        if at == NONE {
            return;
        }
        self.live.swap_remove(at as usize);
        if let Some(&moved) = self.live.get(at as usize) {
            self.position[moved as usize] = at;
        }
        self.position[record as usize] = NONE;
    }

    /// A live record: mostly one of the newest, else any.
    fn pick(&self, rng: &mut Rng) -> Option<(u32, Arc<str>)> {
        let count = self.ids.len() as u64;
        if count > 0 && rng.chance(0.6) {
            for _ in 0..3 {
                let record = (count - 1 - rng.below(count.min(HOT))) as u32;
                if self.position[record as usize] != NONE {
                    return self.ids[record as usize].clone().map(|id| (record, id));
                }
            }
        }
        if self.live.is_empty() {
            return None;
        }
        let record = self.live[rng.index(self.live.len())];
        self.ids[record as usize].clone().map(|id| (record, id))
    }

    /// A group to list: mostly the newest (where creates land), else any.
    fn pick_group(&self, rng: &mut Rng) -> u32 {
        let newest = group_of(self.ids.len().saturating_sub(1) as u32);
        if rng.chance(0.5) {
            newest
        } else {
            rng.below(u64::from(newest) + 1) as u32
        }
    }

    /// How many records were reserved.
    pub fn len(&self) -> u32 {
        self.ids.len() as u32
    }

    /// Every record whose create was acknowledged, with its id.
    pub fn known(&self) -> Vec<(u32, Arc<str>)> {
        self.ids
            .iter()
            .enumerate()
            .filter_map(|(record, id)| id.clone().map(|id| (record as u32, id)))
            .collect()
    }
}

/// A record as a response shows it.
#[derive(Debug, Deserialize)]
struct View {
    id: String,
    version: u32,
    first_name: String,
    roll_number: String,
}

impl View {
    /// The record, version and value it shows.
    fn item(&self) -> Item {
        Item {
            record: record_of(&self.roll_number),
            version: self.version,
            value: value_of(&self.first_name),
        }
    }
}

/// A list response.
#[derive(Debug, Deserialize)]
struct Page {
    results: Vec<View>,
}

/// The items of a list response body (none when it is not one).
pub(super) fn page_items(body: &[u8]) -> Vec<Item> {
    serde_json::from_slice::<Page>(body)
        .map(|page| page.results.iter().map(View::item).collect())
        .unwrap_or_default()
}

/// The list of group `group`'s records.
pub(super) fn group_path(group: u32) -> String {
    format!("/api/v1/students?last_name={MARKER}&city=G{group}&page_size=100")
}

/// A request's final attempt.
struct Sent {
    reply: Option<Reply>,
    outcome: Outcome,
    start: Micros,
    end: Micros,
    instance: u8,
    retries: u8,
}

/// One logical client.
pub struct Client {
    number: u16,
    rng: Rng,
    shared: Arc<Shared>,
    /// The highest token received, as a position and as sent.
    token: Option<(u64, String)>,
    /// The last version this client saw of each record (for `If-Match`).
    seen: HashMap<u32, u32>,
    log: Log,
}

impl Client {
    /// Client `number` of the run of `seed`.
    pub fn new(number: u16, seed: u64, shared: Arc<Shared>) -> Client {
        Client {
            number,
            rng: Rng::stream(seed, u64::from(number)),
            shared,
            token: None,
            seen: HashMap::new(),
            log: Log::default(),
        }
    }

    /// Runs operations until the deadline; returns the history.
    pub async fn run(mut self) -> Log {
        while self.shared.clock.now() < self.shared.deadline.load(Ordering::SeqCst) {
            self.step().await;
        }
        self.log
    }

    /// Creates `count` records one after another (the pool, before the clock starts).
    pub async fn populate(mut self, count: usize) -> Log {
        for n in 0..count {
            self.create(n % 2).await;
        }
        self.log
    }

    async fn step(&mut self) {
        let instance = self.rng.index(2);
        let written = match self.rng.below(100) {
            0..4 => self.create(instance).await,
            4..5 => {
                self.delete(instance).await;
                None
            }
            5..17 => self.patch(instance, false).await,
            17..28 => self.patch(instance, true).await,
            28..53 => {
                self.get(None, instance, true).await;
                None
            }
            53..76 => {
                self.get(None, instance, false).await;
                None
            }
            76..88 => {
                self.list(instance, true).await;
                None
            }
            _ => {
                self.list(instance, false).await;
                None
            }
        };
        // Right after a write, read it back through the other instance: first without a
        // token (a cache may then keep what a lagging replica returned), then with the token,
        // which must see the write whatever that read left behind.
        if let Some(record) = written {
            // The instance that acknowledged it (the chosen one may have refused).
            let wrote = self
                .log
                .entries
                .last()
                .map_or(instance, |e| usize::from(e.instance));
            let other = 1 - wrote;
            if self.rng.chance(0.5) {
                self.get(Some(record.clone()), other, false).await;
            }
            if self.rng.chance(0.7) {
                let next = if self.rng.chance(0.7) { other } else { wrote };
                self.get(Some(record), next, true).await;
            }
        }
    }

    /// `POST` a new record; returns it when acknowledged.
    async fn create(&mut self, instance: usize) -> Option<(u32, Arc<str>)> {
        let record = self.shared.registry().reserve();
        let write = self.shared.write_id();
        let body = json!({
            "first_name": value_text(write), "last_name": MARKER,
            "date_of_birth": "2004-12-10", "gender": "F",
            "roll_number": roll_number(record), "program": "B.Sc",
            "admission_date": "2023-08-01", "city": format!("G{}", group_of(record)),
        });
        let sent = self
            .send(instance, Method::POST, "/api/v1/students", &[], Some(&body))
            .await;
        let view = parse::<View>(&sent, 201);
        let mut entry = self.entry(Op::Create, &sent, NO_TOKEN);
        entry.record = record;
        entry.value = write;
        let acknowledged = view.map(|view| {
            entry.version = view.version;
            self.shared.registry().created(record, &view.id);
            self.seen.insert(record, view.version);
            (record, Arc::from(view.id.as_str()))
        });
        self.record(entry, &[]);
        acknowledged
    }

    /// `PATCH` a record's `first_name` to a value of its own, with `If-Match` when asked and
    /// the client has seen a version; returns it when acknowledged.
    async fn patch(&mut self, instance: usize, if_match: bool) -> Option<(u32, Arc<str>)> {
        let (record, id) = self.shared.registry().pick(&mut self.rng)?;
        let write = self.shared.write_id();
        let tag = self
            .seen
            .get(&record)
            .filter(|_| if_match)
            .map(|version| format!("\"{id}-{version}\""));
        let headers: Vec<(&str, &str)> = tag.iter().map(|t| ("if-match", t.as_str())).collect();
        let path = format!("/api/v1/students/{id}");
        let body = json!({ "first_name": value_text(write) });
        let sent = self
            .send(instance, Method::PATCH, &path, &headers, Some(&body))
            .await;
        let op = if tag.is_some() {
            Op::PatchIfMatch
        } else {
            Op::Patch
        };
        let mut entry = self.entry(op, &sent, NO_TOKEN);
        entry.record = record;
        entry.value = write;
        if sent.outcome == Outcome::Status(412) {
            self.seen.remove(&record);
        }
        let acknowledged = parse::<View>(&sent, 200).map(|view| {
            entry.version = view.version;
            self.seen.insert(record, view.version);
            (record, id)
        });
        self.record(entry, &[]);
        acknowledged
    }

    /// `DELETE` a record (which clients stop picking from now on).
    async fn delete(&mut self, instance: usize) {
        let picked = self.shared.registry().pick(&mut self.rng);
        let Some((record, id)) = picked else { return };
        self.shared.registry().retire(record);
        let path = format!("/api/v1/students/{id}");
        let sent = self.send(instance, Method::DELETE, &path, &[], None).await;
        let mut entry = self.entry(Op::Delete, &sent, NO_TOKEN);
        entry.record = record;
        if sent.outcome == Outcome::Status(204) {
            entry.version = DELETED;
        }
        self.record(entry, &[]);
    }

    /// `GET` a record (`written`: the one just written, else one picked), with the client's
    /// highest token when asked and it has one.
    async fn get(&mut self, written: Option<(u32, Arc<str>)>, instance: usize, token: bool) {
        let picked = match written {
            Some(record) => Some(record),
            None => self.shared.registry().pick(&mut self.rng),
        };
        let Some((record, id)) = picked else { return };
        let (sent_token, text) = self.token_to_send(token);
        let header: Vec<(&str, &str)> = text
            .iter()
            .map(|t| ("consistency-token", t.as_str()))
            .collect();
        let path = format!("/api/v1/students/{id}");
        let sent = self.send(instance, Method::GET, &path, &header, None).await;
        let op = if sent_token == NO_TOKEN {
            Op::Get
        } else {
            Op::GetToken
        };
        let mut entry = self.entry(op, &sent, sent_token);
        entry.record = record;
        if let Some(view) = parse::<View>(&sent, 200) {
            entry.version = view.version;
            entry.value = value_of(&view.first_name);
            self.seen.insert(record, view.version);
        }
        self.record(entry, &[]);
    }

    /// Lists one group of records (one page), with the client's highest token when asked and
    /// it has one.
    async fn list(&mut self, instance: usize, token: bool) {
        let group = self.shared.registry().pick_group(&mut self.rng);
        let (sent_token, text) = self.token_to_send(token);
        let header: Vec<(&str, &str)> = text
            .iter()
            .map(|t| ("consistency-token", t.as_str()))
            .collect();
        let sent = self
            .send(instance, Method::GET, &group_path(group), &header, None)
            .await;
        let op = if sent_token == NO_TOKEN {
            Op::List
        } else {
            Op::ListToken
        };
        let mut entry = self.entry(op, &sent, sent_token);
        entry.group = group;
        let items: Vec<Item> = parse::<Page>(&sent, 200)
            .map(|page| page.results.iter().map(View::item).collect())
            .unwrap_or_default();
        self.record(entry, &items);
    }

    /// Records a request in the client's log.
    fn record(&mut self, entry: Entry, items: &[Item]) {
        self.log.push(entry, items);
        self.shared.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The token to send (when asked and the client has one), as a position and as text.
    fn token_to_send(&self, wanted: bool) -> (u64, Option<String>) {
        match (&self.token, wanted) {
            (Some((position, text)), true) => (*position, Some(text.clone())),
            _ => (NO_TOKEN, None),
        }
    }

    /// The entry of a request, its token received (kept if higher than the client's).
    fn entry(&mut self, op: Op, sent: &Sent, token_sent: u64) -> Entry {
        let token_received = sent
            .reply
            .as_ref()
            .filter(|reply| (200..300).contains(&reply.status))
            .and_then(|reply| reply.header("consistency-token"))
            .and_then(|text| {
                let position = text.parse::<ConsistencyToken>().ok()?.position();
                if self.token.as_ref().is_none_or(|(mine, _)| position > *mine) {
                    self.token = Some((position, text));
                }
                Some(position)
            })
            .unwrap_or(NO_TOKEN);
        Entry {
            start: sent.start,
            end: sent.end,
            token_sent,
            token_received,
            record: NONE,
            group: NONE,
            value: NONE,
            version: ABSENT,
            items: 0,
            item_count: 0,
            client: self.number,
            op,
            outcome: sent.outcome,
            instance: sent.instance,
            retries: sent.retries,
        }
    }

    /// Sends a request to `instance`, retrying like a load balancer: on the other instance
    /// when the connection is refused (nothing was sent) or when a read is closed before
    /// any response byte (reads are idempotent). A write without a response is not retried:
    /// its effect is unknown, and the history says so.
    async fn send(
        &mut self,
        instance: usize,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Sent {
        let mut target = instance;
        let mut retries: u8 = 0;
        let mut refused_in_a_row = 0;
        let clock = self.shared.clock;
        for _ in 0..MAX_ATTEMPTS {
            let http = &self.shared.http[target];
            let start = clock.now();
            let attempt = tokio::time::timeout(
                REQUEST_TIMEOUT,
                http.attempt(method.clone(), path, headers, body),
            )
            .await;
            let end = clock.now();
            let sent = |reply: Option<Reply>, outcome| Sent {
                reply,
                outcome,
                start,
                end,
                instance: target as u8,
                retries,
            };
            match attempt {
                Ok(Ok(reply)) => {
                    let status = reply.status;
                    return sent(Some(reply), Outcome::Status(status));
                }
                Err(_) => return sent(None, Outcome::Timeout),
                Ok(Err(error)) => match error.failure {
                    Failure::Connect => {
                        self.log.retries.refused += 1;
                        refused_in_a_row += 1;
                        // Both refused: an instance is restarting and the other not yet
                        // reachable; wait a little rather than spin.
                        if refused_in_a_row >= 2 {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                    Failure::Unanswered if method == Method::GET => {
                        self.log.retries.unanswered_reads += 1;
                        refused_in_a_row = 0;
                    }
                    Failure::Unanswered => return sent(None, Outcome::Unanswered),
                    Failure::Body => return sent(None, Outcome::Broken),
                },
            }
            retries = retries.saturating_add(1);
            target = 1 - target;
        }
        let now = clock.now();
        Sent {
            reply: None,
            outcome: Outcome::Refused,
            start: now,
            end: now,
            instance: target as u8,
            retries,
        }
    }
}

/// The body of a reply with status `expected`, decoded.
fn parse<T: for<'de> Deserialize<'de>>(sent: &Sent, expected: u16) -> Option<T> {
    let reply = sent
        .reply
        .as_ref()
        .filter(|reply| reply.status == expected)?;
    serde_json::from_slice(&reply.body).ok()
}
