//! The history of a run: every request with its instants, instance, token sent, outcome, the
//! version and value it wrote or saw, and the token it received, kept compact (a few hundred
//! thousand entries fit in tens of megabytes).

use std::time::Instant;

/// Microseconds since the run's clock started.
pub type Micros = u64;

/// "None" for the `u32` fields (record, write, value).
pub const NONE: u32 = u32::MAX;

/// The version a read "sees" when it finds no record: older than every write.
pub const ABSENT: u32 = 0;

/// The version that stands for a delete: newer than every update.
pub const DELETED: u32 = u32::MAX;

/// No token (a token is a WAL position, never 0 on a live primary).
pub const NO_TOKEN: u64 = 0;

/// The run's clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    /// A clock starting now.
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    /// Microseconds since it started.
    pub fn now(&self) -> Micros {
        self.0.elapsed().as_micros() as Micros
    }
}

/// What a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `POST /students`.
    Create,
    /// `PATCH` without `If-Match`.
    Patch,
    /// `PATCH` with the `If-Match` of the last version the client saw.
    PatchIfMatch,
    /// `DELETE`.
    Delete,
    /// `GET /students/{id}` without a token.
    Get,
    /// `GET /students/{id}` with the client's highest token.
    GetToken,
    /// A list of one group of records without a token.
    List,
    /// The same list with the client's highest token.
    ListToken,
}

impl Op {
    /// Every operation, in report order.
    pub const ALL: [Op; 8] = [
        Op::Create,
        Op::Patch,
        Op::PatchIfMatch,
        Op::Delete,
        Op::Get,
        Op::GetToken,
        Op::List,
        Op::ListToken,
    ];

    /// Whether it writes.
    pub fn writes(self) -> bool {
        matches!(self, Op::Create | Op::Patch | Op::PatchIfMatch | Op::Delete)
    }

    /// Whether it is a list.
    pub fn lists(self) -> bool {
        matches!(self, Op::List | Op::ListToken)
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Patch => "patch",
            Op::PatchIfMatch => "patch If-Match",
            Op::Delete => "delete",
            Op::Get => "get",
            Op::GetToken => "get + token",
            Op::List => "list",
            Op::ListToken => "list + token",
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// A complete response with this status.
    Status(u16),
    /// Neither instance accepted a connection (after the retries).
    Refused,
    /// A write sent but closed or reset before a response head: its effect is unknown.
    Unanswered,
    /// The response head arrived, the body did not.
    Broken,
    /// No response within the client's timeout.
    Timeout,
}

impl Outcome {
    /// An acknowledgment: a 2xx response.
    pub fn acknowledged(self) -> bool {
        matches!(self, Outcome::Status(200..=299))
    }

    /// A write with this outcome may or may not have been applied.
    pub fn unknown_effect(self) -> bool {
        matches!(
            self,
            Outcome::Unanswered | Outcome::Broken | Outcome::Timeout | Outcome::Status(500..=599)
        )
    }

    /// Its name in reports.
    pub fn name(self) -> String {
        match self {
            Outcome::Status(status) => status.to_string(),
            Outcome::Refused => "refused".to_owned(),
            Outcome::Unanswered => "unanswered".to_owned(),
            Outcome::Broken => "broken".to_owned(),
            Outcome::Timeout => "timeout".to_owned(),
        }
    }
}

/// One request, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// When its last attempt was sent.
    pub start: Micros,
    /// When its response was complete (or the attempt failed).
    pub end: Micros,
    /// The token sent ([`NO_TOKEN`] when none).
    pub token_sent: u64,
    /// The token of the response ([`NO_TOKEN`] when none).
    pub token_received: u64,
    /// The record (for single-record operations), else [`NONE`].
    pub record: u32,
    /// The group listed (lists), else [`NONE`].
    pub group: u32,
    /// Writes: the value written (the write's id); reads: the value seen, else [`NONE`].
    pub value: u32,
    /// The version written or seen ([`ABSENT`] for a 404).
    pub version: u32,
    /// Lists: where their items start in [`Log::items`].
    pub items: u32,
    /// Lists: how many items.
    pub item_count: u16,
    /// The client (`u16::MAX` for the setup before the clock starts).
    pub client: u16,
    /// What it did.
    pub op: Op,
    /// How it ended.
    pub outcome: Outcome,
    /// The instance of the last attempt (0 = A, 1 = B).
    pub instance: u8,
    /// Attempts before the last one (refused connections, unanswered reads).
    pub retries: u8,
}

/// One record of a list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// The record.
    pub record: u32,
    /// Its version.
    pub version: u32,
    /// Its value (the id of the write that set it), [`NONE`] if unrecognised.
    pub value: u32,
}

/// Retries made like a load balancer would.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retries {
    /// Connections refused, retried on the other instance.
    pub refused: u64,
    /// Reads closed before any response byte, retried on the other instance.
    pub unanswered_reads: u64,
}

/// A client's (or the whole run's) history.
#[derive(Debug, Default)]
pub struct Log {
    /// The requests, in the order each client made them.
    pub entries: Vec<Entry>,
    /// The items of every list response.
    pub items: Vec<Item>,
    /// The retries.
    pub retries: Retries,
}

impl Log {
    /// Records a request; `items` are a list's records.
    pub fn push(&mut self, mut entry: Entry, items: &[Item]) {
        entry.items = self.items.len() as u32;
        entry.item_count = items.len() as u16;
        self.items.extend_from_slice(items);
        self.entries.push(entry);
    }

    /// Appends another log (a client's) to this one.
    pub fn append(&mut self, other: Log) {
        let offset = self.items.len() as u32;
        self.items.extend(other.items);
        self.entries
            .extend(other.entries.into_iter().map(|mut entry| {
                entry.items += offset;
                entry
            }));
        self.retries.refused += other.retries.refused;
        self.retries.unanswered_reads += other.retries.unanswered_reads;
    }

    /// A list entry's items.
    pub fn items_of(&self, entry: &Entry) -> &[Item] {
        let start = entry.items as usize;
        &self.items[start..start + usize::from(entry.item_count)]
    }
}

/// The value a write sets (`first_name`): its id, so that every read tells which write it saw.
pub fn value_text(write: u32) -> String {
    format!("W{write}")
}

/// The write id of a `first_name`, [`NONE`] when it is not one of the run's values.
pub fn value_of(text: &str) -> u32 {
    text.strip_prefix('W')
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(NONE)
}

/// The roll number of record `record` (unique, ≤ 20 characters).
pub fn roll_number(record: u32) -> String {
    format!("CK-{record}")
}

/// The record of a roll number, [`NONE`] when it is not one of the run's.
pub fn record_of(roll: &str) -> u32 {
    roll.strip_prefix("CK-")
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(NONE)
}

/// Records per group: a list of one group fits in one page.
pub const GROUP_SIZE: u32 = 20;

/// The group (`city`) of a record: consecutive records share one, so a group fills while it
/// is being listed.
pub fn group_of(record: u32) -> u32 {
    record / GROUP_SIZE
}
