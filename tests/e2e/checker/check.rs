//! The checks, run on the whole history after the run (a read carrying token T must reflect
//! writes whose acknowledgment may arrive after the read started, so they cannot run online):
//! read-your-writes, bounded staleness, list freshness, lost updates and errors.
//!
//! Versions order what a read may see: a 404 is [`ABSENT`] (older than every write) unless a
//! delete of the record had started before the read ended, then [`DELETED`] (newer than every
//! write); an acknowledged delete counts as writing [`DELETED`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::faults::{Fault, Injected};
use super::final_state::Finals;
use super::history::{
    group_of, Entry, Item, Log, Micros, Op, Outcome, ABSENT, DELETED, GROUP_SIZE, NONE, NO_TOKEN,
};
use super::settings::Settings;

/// What a violation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// A read with token T missed a write acknowledged with a token ≤ T.
    ReadYourWrites,
    /// A read without a token missed a write acknowledged more than the bound before it.
    Staleness,
    /// A list missed (or showed an old version of, or showed deleted) records it had to show.
    ListFreshness,
    /// An acknowledged write is not in the final state, or versions do not add up.
    LostUpdates,
    /// A 5xx, an unexpected status, a broken or hanging response, a write applied without
    /// its acknowledgment reaching the client.
    Errors,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 5] = [
        Category::ReadYourWrites,
        Category::Staleness,
        Category::ListFreshness,
        Category::LostUpdates,
        Category::Errors,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Category::ReadYourWrites => "read-your-writes",
            Category::Staleness => "bounded staleness",
            Category::ListFreshness => "list freshness",
            Category::LostUpdates => "lost updates",
            Category::Errors => "errors",
        }
    }
}

/// One violation, with what is needed to look into it.
#[derive(Debug, Clone)]
pub struct Violation {
    /// What it broke.
    pub category: Category,
    /// The fault active then (or recovering), if any.
    pub fault: Option<Fault>,
    /// What happened: op, record, instance, versions, tokens, instants.
    pub detail: String,
}

/// Which reads a staleness figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadKind {
    /// Single-record reads without a token.
    Get,
    /// Lists without a token (per record listed).
    List,
}

/// How stale reads without a token were.
#[derive(Debug, Clone, Default)]
pub struct Stale {
    /// Reads checked.
    pub reads: u64,
    /// Reads (for lists: records listed) that returned something older than a write
    /// acknowledged before they started.
    pub stale: u64,
    /// The longest time between the acknowledgment of a newer version and a read still
    /// returning an older one.
    pub worst: Micros,
    /// That read.
    pub worst_detail: String,
}

/// The checks' findings.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every violation.
    pub violations: Vec<Violation>,
    /// Staleness of reads without a token, by kind and whether a fault was active.
    pub staleness: BTreeMap<(ReadKind, bool), Stale>,
    /// Writes sent that got no response (their effect unknown).
    pub unanswered_writes: u64,
    /// Of those, how many were applied (a lower bound: seen in a read, or needed by the
    /// version arithmetic).
    pub applied_unanswered: u64,
    /// Final reads (records through each instance) and how many differed from the primary.
    pub final_reads: (u64, u64),
    /// Final lists (groups through each instance) and how many differed from the primary.
    pub final_lists: (u64, u64),
}

/// An acknowledged write of a record.
#[derive(Debug, Clone, Copy)]
struct Acked {
    version: u32,
    token: u64,
    ack: Micros,
    /// When every read without a token must show it: one bound after its acknowledgment,
    /// the fault bound when it was acknowledged during (or right after) a fault.
    due: Micros,
    entry: u32,
}

/// What the history says about one record.
#[derive(Debug, Default)]
struct RecordFacts {
    create: Option<u32>,
    /// Acknowledged writes, by acknowledgment once indexed.
    acked: Vec<Acked>,
    /// Acknowledged writes by acknowledgment, each with the highest version up to it.
    by_ack: Vec<(Micros, u32, u32)>,
    /// Acknowledged writes by when they are due, each with the highest version up to it.
    by_due: Vec<(Micros, u32, u32)>,
    /// Acknowledged writes by version, each with the earliest acknowledgment from it on.
    by_version: Vec<(u32, Micros)>,
    first_delete: Option<Micros>,
    /// Every delete sent: its start and entry.
    deletes: Vec<(Micros, u32)>,
    acked_updates: u32,
    unknown_updates: u32,
    unanswered_updates: u32,
    acked_delete: bool,
    unknown_deletes: u32,
    unanswered_deletes: u32,
    /// Unanswered updates seen applied in some read.
    seen_unanswered: HashSet<u32>,
    /// Every unanswered write (its entry).
    unanswered: Vec<u32>,
}

impl RecordFacts {
    fn index(&mut self) {
        self.acked.sort_by_key(|a| a.ack);
        self.by_ack = running_max(self.acked.iter().map(|a| (a.ack, a.version, a.entry)));
        let mut sorted = self.acked.clone();
        sorted.sort_by_key(|a| a.due);
        self.by_due = running_max(sorted.iter().map(|a| (a.due, a.version, a.entry)));
        let mut by_version: Vec<(u32, Micros)> =
            self.acked.iter().map(|a| (a.version, a.ack)).collect();
        by_version.sort_unstable();
        for i in (0..by_version.len().saturating_sub(1)).rev() {
            by_version[i].1 = by_version[i].1.min(by_version[i + 1].1);
        }
        self.by_version = by_version;
    }

    /// The version a read carrying `token` and starting at `start` must see, and the write
    /// that requires it: the highest among writes acknowledged before the read with a token
    /// up to its own. Only those acknowledged before: Postgres may make a transaction visible
    /// after a later one, so a write whose commit is before the token but still finishing
    /// could be missed by a read on the primary without any cache at fault.
    fn required_by_token(&self, token: u64, start: Micros) -> (u32, u32) {
        let before = self.acked.partition_point(|a| a.ack < start);
        self.acked[..before]
            .iter()
            .filter(|a| a.token != NO_TOKEN && a.token <= token)
            .fold((ABSENT, NONE), |best, a| {
                if a.version >= best.0 {
                    (a.version, a.entry)
                } else {
                    best
                }
            })
    }

    /// The version a read must see when every write acknowledged before `time` must show.
    fn required_by_ack(&self, time: Micros) -> (u32, u32) {
        latest_before(&self.by_ack, time)
    }

    /// The version a read starting at `time` must see: every write due before then.
    fn required_by_due(&self, time: Micros) -> (u32, u32) {
        latest_before(&self.by_due, time)
    }

    /// The earliest acknowledgment of a version newer than `version`.
    fn first_newer_ack(&self, version: u32) -> Option<Micros> {
        let i = self.by_version.partition_point(|(v, _)| *v <= version);
        self.by_version.get(i).map(|(_, ack)| *ack)
    }

    /// The version a response that did not show the record stands for.
    fn missing(&self, read_end: Micros) -> u32 {
        match self.first_delete {
            Some(start) if start <= read_end => DELETED,
            _ => ABSENT,
        }
    }
}

/// `(key, version, entry)` with each version replaced by the highest (and its entry) so far.
fn running_max(items: impl Iterator<Item = (u64, u32, u32)>) -> Vec<(u64, u32, u32)> {
    let mut best = (ABSENT, NONE);
    items
        .map(|(key, version, entry)| {
            if version >= best.0 {
                best = (version, entry);
            }
            (key, best.0, best.1)
        })
        .collect()
}

/// A write by its id.
#[derive(Debug, Clone, Copy)]
struct WriteFacts {
    record: u32,
    entry: u32,
}

struct Checker<'a> {
    log: &'a Log,
    faults: &'a [Injected],
    settings: &'a Settings,
    records: Vec<RecordFacts>,
    writes: Vec<Option<WriteFacts>>,
    /// Versions seen for unanswered writes.
    unanswered_versions: HashMap<u32, u32>,
    out: Checked,
}

/// Runs every check on the history `log` of `records` records, the faults injected and the
/// final state.
pub fn check(
    log: &Log,
    records: u32,
    faults: &[Injected],
    settings: &Settings,
    finals: &Finals,
) -> Checked {
    let mut checker = Checker {
        log,
        faults,
        settings,
        records: (0..records).map(|_| RecordFacts::default()).collect(),
        writes: Vec::new(),
        unanswered_versions: HashMap::new(),
        out: Checked::default(),
    };
    checker.index();
    for (i, entry) in log.entries.iter().enumerate() {
        checker.errors(i as u32, entry);
        match entry.op {
            Op::Get | Op::GetToken => checker.read(entry),
            Op::List | Op::ListToken => checker.list(entry),
            Op::Create | Op::Patch | Op::PatchIfMatch => checker.write_echo(entry),
            Op::Delete => {}
        }
    }
    checker.finals(finals);
    checker.out
}

impl Checker<'_> {
    /// Gathers every record's writes.
    fn index(&mut self) {
        let (bound, fault_bound) = (self.bound(false), self.bound(true));
        let windows: Vec<(Micros, Micros)> = self.faults.iter().map(|f| self.window(f)).collect();
        let due = |ack: Micros| {
            let faulted = windows
                .iter()
                .any(|(start, end)| *start <= ack && ack <= *end);
            ack + if faulted { fault_bound } else { bound }
        };
        for (i, entry) in self.log.entries.iter().enumerate() {
            if !entry.op.writes() || entry.record == NONE {
                continue;
            }
            let Some(facts) = self.records.get_mut(entry.record as usize) else {
                continue;
            };
            if entry.value != NONE {
                let slot = entry.value as usize;
                if self.writes.len() <= slot {
                    self.writes.resize(slot + 1, None);
                }
                self.writes[slot] = Some(WriteFacts {
                    record: entry.record,
                    entry: i as u32,
                });
            }
            let unanswered = entry.outcome == Outcome::Unanswered;
            if unanswered {
                self.out.unanswered_writes += 1;
                facts.unanswered.push(i as u32);
            }
            if entry.outcome.acknowledged() {
                facts.acked.push(Acked {
                    version: entry.version,
                    token: entry.token_received,
                    ack: entry.end,
                    due: due(entry.end),
                    entry: i as u32,
                });
            }
            match entry.op {
                Op::Create => facts.create = Some(i as u32),
                Op::Delete => {
                    facts.first_delete = Some(
                        facts
                            .first_delete
                            .map_or(entry.start, |t| t.min(entry.start)),
                    );
                    facts.deletes.push((entry.start, i as u32));
                    facts.acked_delete |= entry.outcome.acknowledged();
                    facts.unknown_deletes += u32::from(entry.outcome.unknown_effect());
                    facts.unanswered_deletes += u32::from(unanswered);
                }
                _ => {
                    facts.acked_updates += u32::from(entry.outcome.acknowledged());
                    facts.unknown_updates += u32::from(entry.outcome.unknown_effect());
                    facts.unanswered_updates += u32::from(unanswered);
                }
            }
        }
        for facts in &mut self.records {
            facts.index();
        }
    }

    /// Records a violation; `at` (when the request started, or failed) says which fault, if
    /// any, was active.
    fn violation(&mut self, category: Category, at: Option<Micros>, detail: String) {
        let fault = at.and_then(|t| self.fault_at(t)).map(|f| f.fault);
        self.out.violations.push(Violation {
            category,
            fault,
            detail,
        });
    }

    /// When a fault's bound applies: from its injection to the end of its recovery.
    fn window(&self, fault: &Injected) -> (Micros, Micros) {
        let recovery = self.settings.recovery.as_micros() as Micros;
        (fault.start, fault.end + recovery)
    }

    /// The staleness bound, during a fault or not.
    fn bound(&self, faulted: bool) -> Micros {
        let bound = if faulted {
            self.settings.fault_bound
        } else {
            self.settings.bound
        };
        bound.as_micros() as Micros
    }

    /// The fault active (or recovering) at `time`.
    fn fault_at(&self, time: Micros) -> Option<&Injected> {
        self.faults.iter().find(|f| {
            let (start, end) = self.window(f);
            start <= time && time <= end
        })
    }

    /// The bound a read starting at `time` is held to, and whether a fault is why.
    fn bound_at(&self, time: Micros) -> (Micros, bool) {
        let faulted = self.fault_at(time).is_some();
        (self.bound(faulted), faulted)
    }

    /// 5xx, unexpected statuses, broken or hanging responses, refusals by both instances,
    /// acknowledgments without a token.
    fn errors(&mut self, index: u32, entry: &Entry) {
        let expected = match (entry.op, entry.outcome) {
            (_, Outcome::Unanswered) => true,
            (Op::Create, Outcome::Status(201)) => true,
            // A 412 needs a precondition: only a write with If-Match fails one. A write
            // without it is applied again when a concurrent writer commits first, and answers
            // 409 only when it is overtaken on every attempt.
            (Op::PatchIfMatch, Outcome::Status(412)) => true,
            (Op::Patch | Op::Delete, Outcome::Status(409)) => true,
            (Op::Patch | Op::PatchIfMatch, Outcome::Status(200)) => true,
            // Writes go to the primary: a 404 is right only once another delete was sent.
            (Op::Patch | Op::PatchIfMatch | Op::Delete, Outcome::Status(404)) => {
                self.records.get(entry.record as usize).is_some_and(|f| {
                    f.deletes
                        .iter()
                        .any(|(start, other)| *other != index && *start <= entry.end)
                })
            }
            (Op::Delete, Outcome::Status(204)) => true,
            (Op::Get | Op::GetToken, Outcome::Status(200 | 404)) => true,
            (Op::List | Op::ListToken, Outcome::Status(200)) => true,
            _ => false,
        };
        if !expected {
            let detail = format!(
                "{} {} via {}: {}",
                entry.op.name(),
                subject(entry),
                instance(entry.instance),
                entry.outcome.name(),
            );
            self.violation(Category::Errors, Some(entry.end), detail);
        }
        if entry.op.writes() && entry.outcome.acknowledged() && entry.token_received == NO_TOKEN {
            let detail = format!(
                "{} {} via {} acknowledged without a Consistency-Token",
                entry.op.name(),
                subject(entry),
                instance(entry.instance)
            );
            self.violation(Category::Errors, Some(entry.end), detail);
        }
    }

    /// A write's response shows the value it wrote.
    fn write_echo(&mut self, entry: &Entry) {
        if entry.outcome.acknowledged() {
            self.value_agrees(
                entry.record,
                entry.version,
                entry.value,
                entry,
                "its own response",
            );
        }
    }

    /// A value seen with a version must be the one the write of that value got.
    fn value_agrees(&mut self, record: u32, version: u32, value: u32, entry: &Entry, how: &str) {
        if version == ABSENT || version == DELETED {
            return;
        }
        let write = self.writes.get(value as usize).copied().flatten();
        let problem = match write {
            None => Some(format!("value {value} was never written")),
            Some(w) if w.record != record => {
                Some(format!("value W{value} belongs to record {}", w.record))
            }
            Some(w) => {
                let source = self.log.entries[w.entry as usize];
                if source.outcome.acknowledged() {
                    (source.version != version).then(|| {
                        format!(
                            "W{value} was acknowledged as version {}, seen as version {version}",
                            source.version
                        )
                    })
                } else {
                    // Updates only: an unanswered create that applied is counted from the
                    // final state.
                    if source.outcome == Outcome::Unanswered && source.op != Op::Create {
                        self.records[record as usize].seen_unanswered.insert(value);
                    }
                    match self.unanswered_versions.insert(value, version) {
                        Some(before) if before != version => Some(format!(
                            "unacknowledged W{value} seen as version {before} and as {version}"
                        )),
                        _ => None,
                    }
                }
            }
        };
        if let Some(problem) = problem {
            let detail = format!(
                "record {record} in {how} ({} via {} at {}): {problem}",
                entry.op.name(),
                instance(entry.instance),
                seconds(entry.start)
            );
            self.violation(Category::LostUpdates, Some(entry.start), detail);
        }
    }

    /// A single-record read: read-your-writes with a token, bounded staleness without.
    fn read(&mut self, entry: &Entry) {
        if !matches!(entry.outcome, Outcome::Status(200 | 404)) {
            return;
        }
        let record = entry.record;
        let Some(facts) = self.records.get(record as usize) else {
            return;
        };
        let seen = match entry.outcome {
            Outcome::Status(200) => entry.version,
            _ => facts.missing(entry.end),
        };
        if entry.outcome == Outcome::Status(200) {
            self.value_agrees(record, entry.version, entry.value, entry, "a read");
        }
        if entry.token_sent == NO_TOKEN {
            let faulted = self.bound_at(entry.start).1;
            self.out
                .staleness
                .entry((ReadKind::Get, faulted))
                .or_default()
                .reads += 1;
        }
        let what = || {
            format!(
                "{} record {record} via {} at {}",
                entry.op.name(),
                instance(entry.instance),
                seconds(entry.start)
            )
        };
        self.judge(entry, record, seen, &what, ReadKind::Get);
    }

    /// Whether a read of `record` that saw `seen` was fresh enough; records staleness.
    /// `what` describes the read, for messages (built only when one is needed).
    fn judge(
        &mut self,
        entry: &Entry,
        record: u32,
        seen: u32,
        what: &dyn Fn() -> String,
        kind: ReadKind,
    ) {
        let facts = &self.records[record as usize];
        if entry.token_sent != NO_TOKEN {
            let (required, by) = facts.required_by_token(entry.token_sent, entry.start);
            if seen < required {
                let detail = format!(
                    "{} with token {}: saw {}, but {} was acknowledged with token {}",
                    what(),
                    token_text(entry.token_sent),
                    version_text(seen),
                    self.write_text(by),
                    token_text(self.log.entries[by as usize].token_received),
                );
                let category = match kind {
                    ReadKind::Get => Category::ReadYourWrites,
                    ReadKind::List => Category::ListFreshness,
                };
                self.violation(category, Some(entry.start), detail);
            }
            return;
        }
        // A read during a fault must show what was acknowledged a fault bound before it; a
        // read outside faults what is due by then (a write acknowledged during a fault is
        // due a fault bound after it).
        let (bound, faulted) = self.bound_at(entry.start);
        let (required, by) = if faulted {
            facts.required_by_ack(entry.start.saturating_sub(bound))
        } else {
            facts.required_by_due(entry.start)
        };
        let lag = facts
            .first_newer_ack(seen)
            .filter(|ack| *ack < entry.start)
            .map(|ack| entry.start - ack);
        let stats = self.out.staleness.entry((kind, faulted)).or_default();
        if let Some(lag) = lag {
            stats.stale += 1;
            if lag > stats.worst {
                stats.worst = lag;
                stats.worst_detail = format!("{}: saw {}", what(), version_text(seen));
            }
        }
        if seen < required {
            let detail = format!(
                "{} without token (bound {} s{}): saw {}, but {} was due",
                what(),
                bound as f64 / 1e6,
                if faulted { ", fault" } else { "" },
                version_text(seen),
                self.write_text(by),
            );
            let category = match kind {
                ReadKind::Get => Category::Staleness,
                ReadKind::List => Category::ListFreshness,
            };
            self.violation(category, Some(entry.start), detail);
        }
    }

    /// A list of one group: every record it must show, at a version not older than required.
    fn list(&mut self, entry: &Entry) {
        if entry.outcome != Outcome::Status(200) {
            return;
        }
        let items: Vec<Item> = self.log.items_of(entry).to_vec();
        let group = entry.group;
        let mut listed: HashMap<u32, u32> = HashMap::new();
        for item in &items {
            if item.record == NONE || group_of(item.record) != group {
                let detail = format!(
                    "{} of group {group} via {} at {} shows a record of another group",
                    entry.op.name(),
                    instance(entry.instance),
                    seconds(entry.start)
                );
                self.violation(Category::ListFreshness, Some(entry.start), detail);
                continue;
            }
            if listed.insert(item.record, item.version).is_some() {
                let detail = format!(
                    "{} of group {group} via {} at {} shows record {} twice",
                    entry.op.name(),
                    instance(entry.instance),
                    seconds(entry.start),
                    item.record
                );
                self.violation(Category::ListFreshness, Some(entry.start), detail);
            }
            self.value_agrees(item.record, item.version, item.value, entry, "a list");
        }
        if entry.token_sent == NO_TOKEN {
            let faulted = self.bound_at(entry.start).1;
            self.out
                .staleness
                .entry((ReadKind::List, faulted))
                .or_default()
                .reads += 1;
        }
        let first = group * GROUP_SIZE;
        let last = ((group + 1) * GROUP_SIZE).min(self.records.len() as u32);
        for record in first..last {
            let seen = match listed.get(&record) {
                Some(version) => *version,
                None => self.records[record as usize].missing(entry.end),
            };
            let what = || {
                format!(
                    "{} of group {group} via {} at {}, record {record}",
                    entry.op.name(),
                    instance(entry.instance),
                    seconds(entry.start)
                )
            };
            self.judge(entry, record, seen, &what, ReadKind::List);
        }
    }

    /// The final state: every acknowledged write is in it, versions add up, and both
    /// instances serve exactly what the primary has.
    fn finals(&mut self, finals: &Finals) {
        for record in 0..self.records.len() as u32 {
            self.final_record(record, finals);
        }
        for read in &finals.reads {
            let expected = finals
                .primary
                .get(&read.record)
                .map_or((Outcome::Status(404), 0, NONE), |row| {
                    (Outcome::Status(200), row.version, row.value)
                });
            let got = (read.outcome, read.version, read.value);
            self.out.final_reads.0 += 1;
            if got != expected {
                self.out.final_reads.1 += 1;
                let detail = format!(
                    "final read of record {} via {} with token {}: {} version {} (W{}), the primary has {} version {} (W{})",
                    read.record,
                    instance(read.instance),
                    token_text(finals.token),
                    got.0.name(),
                    got.1,
                    got.2,
                    expected.0.name(),
                    expected.1,
                    expected.2
                );
                self.violation(Category::ReadYourWrites, None, detail);
            }
        }
        for list in &finals.lists {
            let mut expected: Vec<(u32, u32, u32)> = finals
                .primary
                .iter()
                .filter(|(record, _)| group_of(**record) == list.group)
                .map(|(record, row)| (*record, row.version, row.value))
                .collect();
            expected.sort_unstable();
            let mut got: Vec<(u32, u32, u32)> = list
                .items
                .iter()
                .map(|i| (i.record, i.version, i.value))
                .collect();
            got.sort_unstable();
            self.out.final_lists.0 += 1;
            if list.outcome != Outcome::Status(200) || got != expected {
                self.out.final_lists.1 += 1;
                let detail = format!(
                    "final list of group {} via {} with token {}: {} with {} records, the primary has {}",
                    list.group,
                    instance(list.instance),
                    token_text(finals.token),
                    list.outcome.name(),
                    got.len(),
                    expected.len()
                );
                self.violation(Category::ListFreshness, None, detail);
            }
        }
    }

    /// One record's final state against its writes.
    fn final_record(&mut self, record: u32, finals: &Finals) {
        let facts = &self.records[record as usize];
        let create = facts.create.map(|i| self.log.entries[i as usize]);
        let create_acked = create.is_some_and(|c| c.outcome.acknowledged());
        let create_unknown = create.is_some_and(|c| c.outcome.unknown_effect());
        let mut problems: Vec<String> = Vec::new();
        let mut applied_unanswered = 0u32;
        let updates: Vec<&Acked> = facts
            .acked
            .iter()
            .filter(|a| a.version != DELETED)
            .collect();
        let mut versions: Vec<u32> = updates.iter().map(|a| a.version).collect();
        versions.sort_unstable();
        for pair in versions.windows(2) {
            if pair[0] == pair[1] {
                problems.push(format!("two acknowledged writes got version {}", pair[0]));
            }
        }
        match finals.primary.get(&record) {
            None if facts.acked_delete || !create_acked => {}
            None if facts.unknown_deletes == 0 => {
                problems.push("acknowledged create, not deleted, missing on the primary".into());
            }
            None => {
                // Deleted by a delete without a response: a dropped acknowledgment when
                // every such delete was unanswered (the others are errors already).
                if facts.unknown_deletes == facts.unanswered_deletes {
                    applied_unanswered += 1;
                }
            }
            Some(row) => {
                if facts.acked_delete {
                    problems.push(format!(
                        "deleted (acknowledged) but on the primary at version {}",
                        row.version
                    ));
                }
                if !create_acked && !create_unknown {
                    problems.push("on the primary though its create failed".into());
                }
                if !create_acked && create.is_some_and(|c| c.outcome == Outcome::Unanswered) {
                    applied_unanswered += 1;
                }
                let highest = versions.last().copied().unwrap_or(ABSENT);
                if row.version < highest {
                    problems.push(format!(
                        "final version {} below acknowledged version {highest}",
                        row.version
                    ));
                }
                let applied = i64::from(row.version) - 1 - i64::from(facts.acked_updates);
                if applied < 0 {
                    problems.push(format!(
                        "final version {} but 1 + {} acknowledged updates: {} lost",
                        row.version, facts.acked_updates, -applied
                    ));
                } else if applied > i64::from(facts.unknown_updates) {
                    problems.push(format!(
                        "final version {} is {} above 1 + {} acknowledged updates, with only {} of unknown outcome",
                        row.version,
                        applied,
                        facts.acked_updates,
                        facts.unknown_updates
                    ));
                }
                // Unanswered updates that must have been applied: seen in reads, or needed
                // by the arithmetic beyond the other unknown outcomes (already errors).
                let others = facts.unknown_updates - facts.unanswered_updates;
                let needed = (applied.max(0) as u32).saturating_sub(others);
                applied_unanswered += needed.max(facts.seen_unanswered.len() as u32);
                let by_version = updates.iter().find(|a| a.version == row.version);
                match by_version {
                    Some(acked) => {
                        let value = self.log.entries[acked.entry as usize].value;
                        if value != row.value {
                            problems.push(format!(
                                "final value W{} but version {} was acknowledged with W{value}",
                                row.value, row.version
                            ));
                        }
                    }
                    None => {
                        let source = self
                            .writes
                            .get(row.value as usize)
                            .copied()
                            .flatten()
                            .map(|w| self.log.entries[w.entry as usize]);
                        let plausible = source.is_some_and(|s| {
                            s.record == record
                                && !s.outcome.acknowledged()
                                && s.outcome.unknown_effect()
                        });
                        if !plausible {
                            problems.push(format!(
                                "final value W{} (version {}) comes from no write that could have set it",
                                row.value, row.version
                            ));
                        }
                    }
                }
            }
        }
        for problem in problems {
            self.violation(
                Category::LostUpdates,
                None,
                format!("record {record}: {problem}"),
            );
        }
        self.out.applied_unanswered += u64::from(applied_unanswered);
        if applied_unanswered > 0 {
            let unanswered: Vec<Entry> = self.records[record as usize]
                .unanswered
                .iter()
                .map(|i| self.log.entries[*i as usize])
                .collect();
            let sent: Vec<String> = unanswered
                .iter()
                .map(|e| {
                    format!(
                        "{} via {} at {}",
                        e.op.name(),
                        instance(e.instance),
                        seconds(e.start)
                    )
                })
                .collect();
            let at = unanswered.first().map(|e| e.end);
            for _ in 0..applied_unanswered {
                let detail = format!(
                    "record {record}: a write sent without a response was applied, its acknowledgment dropped (unanswered: {})",
                    sent.join(", ")
                );
                self.violation(Category::Errors, at, detail);
            }
        }
    }

    /// A write, for messages: version, value, instant.
    fn write_text(&self, entry: u32) -> String {
        match self.log.entries.get(entry as usize) {
            Some(e) if e.op == Op::Delete => {
                format!("its delete (acknowledged at {})", seconds(e.end))
            }
            Some(e) => format!(
                "version {} (W{}, {} via {}, acknowledged at {})",
                e.version,
                e.value,
                e.op.name(),
                instance(e.instance),
                seconds(e.end)
            ),
            None => "nothing".to_owned(),
        }
    }
}

/// `A` or `B`.
pub fn instance(n: u8) -> &'static str {
    if n == 0 {
        "A"
    } else {
        "B"
    }
}

/// An instant of the run in seconds.
pub fn seconds(time: Micros) -> String {
    format!("{:.3} s", time as f64 / 1e6)
}

fn version_text(version: u32) -> String {
    match version {
        ABSENT => "404".to_owned(),
        DELETED => "deleted".to_owned(),
        v => format!("version {v}"),
    }
}

fn token_text(token: u64) -> String {
    let mut text = String::new();
    let _ = write!(text, "{:X}/{:X}", token >> 32, token & 0xFFFF_FFFF);
    text
}

fn subject(entry: &Entry) -> String {
    if entry.op.lists() {
        format!("of group {}", entry.group)
    } else {
        format!("record {}", entry.record)
    }
}

/// The `(version, write)` of the last entry of `timeline` (sorted by instant) before `time`;
/// `(ABSENT, NONE)` when there is none.
fn latest_before(timeline: &[(Micros, u32, u32)], time: Micros) -> (u32, u32) {
    let n = timeline.partition_point(|(t, _, _)| *t < time);
    n.checked_sub(1)
        .map_or((ABSENT, NONE), |i| (timeline[i].1, timeline[i].2))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::final_state::Row;
    use super::*;

    const MS: Micros = 1000;

    fn settings() -> Settings {
        Settings {
            seed: 1,
            duration: Duration::from_secs(10),
            clients: 1,
            bound: Duration::from_secs(1),
            fault_bound: Duration::from_secs(5),
            recovery: Duration::from_secs(3),
            faults: false,
            report: None,
        }
    }

    fn entry(op: Op, start: Micros, status: u16, version: u32, value: u32) -> Entry {
        Entry {
            start,
            end: start + MS,
            token_sent: NO_TOKEN,
            token_received: NO_TOKEN,
            record: 0,
            group: NONE,
            value,
            version,
            items: 0,
            item_count: 0,
            client: 0,
            op,
            outcome: Outcome::Status(status),
            instance: 0,
            retries: 0,
        }
    }

    /// Record 0 created (W1, token 10) and patched (W2, version 2, token 20, acknowledged at
    /// 101 ms); the primary ends at version 2.
    fn history(reads: &[Entry]) -> (Log, Finals) {
        let mut log = Log::default();
        let mut create = entry(Op::Create, 0, 201, 1, 1);
        create.token_received = 10;
        let mut patch = entry(Op::Patch, 100 * MS, 200, 2, 2);
        patch.token_received = 20;
        for e in [create, patch].iter().chain(reads) {
            log.push(*e, &[]);
        }
        let mut finals = Finals::default();
        finals.primary.insert(
            0,
            Row {
                id: "x".into(),
                version: 2,
                value: 2,
            },
        );
        (log, finals)
    }

    fn categories(reads: &[Entry], faults: &[Injected]) -> Vec<Category> {
        let (log, finals) = history(reads);
        let checked = check(&log, 1, faults, &settings(), &finals);
        checked.violations.iter().map(|v| v.category).collect()
    }

    #[test]
    fn a_token_read_must_see_every_write_up_to_its_token() {
        let mut stale = entry(Op::GetToken, 150 * MS, 200, 1, 1);
        stale.token_sent = 20;
        assert_eq!(categories(&[stale], &[]), [Category::ReadYourWrites]);
        let mut older_token = stale;
        older_token.token_sent = 15;
        assert_eq!(categories(&[older_token], &[]), []);
        let mut fresh = entry(Op::GetToken, 150 * MS, 200, 2, 2);
        fresh.token_sent = 20;
        assert_eq!(categories(&[fresh], &[]), []);
        let mut missing = entry(Op::GetToken, 150 * MS, 404, ABSENT, NONE);
        missing.token_sent = 10;
        assert_eq!(categories(&[missing], &[]), [Category::ReadYourWrites]);
    }

    #[test]
    fn a_read_without_token_may_lag_by_the_bound_and_more_during_a_fault() {
        let early = entry(Op::Get, 900 * MS, 200, 1, 1);
        assert_eq!(categories(&[early], &[]), []);
        let late = entry(Op::Get, 1200 * MS, 200, 1, 1);
        assert_eq!(categories(&[late], &[]), [Category::Staleness]);
        let fault = Injected {
            fault: Fault::RedisDown,
            start: 50 * MS,
            end: 1000 * MS,
            detail: String::new(),
        };
        assert_eq!(categories(&[late], std::slice::from_ref(&fault)), []);
        let after_recovery = entry(Op::Get, 5200 * MS, 200, 1, 1);
        assert_eq!(
            categories(&[after_recovery], &[fault]),
            [Category::Staleness]
        );
    }

    #[test]
    fn versions_must_add_up_and_values_match_their_versions() {
        let (log, mut finals) = history(&[]);
        assert!(check(&log, 1, &[], &settings(), &finals)
            .violations
            .is_empty());
        finals.primary.get_mut(&0).expect("record 0").version = 1;
        let checked = check(&log, 1, &[], &settings(), &finals);
        assert!(checked
            .violations
            .iter()
            .all(|v| v.category == Category::LostUpdates));
        assert!(!checked.violations.is_empty());
        let mixed = entry(Op::Get, 200 * MS, 200, 1, 2);
        assert_eq!(categories(&[mixed], &[]), [Category::LostUpdates]);
    }

    #[test]
    fn an_unanswered_write_seen_applied_is_a_dropped_acknowledgment() {
        let (mut log, mut finals) = history(&[]);
        let mut lost = entry(Op::Patch, 300 * MS, 0, ABSENT, 3);
        lost.outcome = Outcome::Unanswered;
        log.push(lost, &[]);
        assert!(check(&log, 1, &[], &settings(), &finals)
            .violations
            .is_empty());
        let row = finals.primary.get_mut(&0).expect("record 0");
        row.version = 3;
        row.value = 3;
        let checked = check(&log, 1, &[], &settings(), &finals);
        let found: Vec<Category> = checked.violations.iter().map(|v| v.category).collect();
        assert_eq!(found, [Category::Errors]);
        assert_eq!(checked.applied_unanswered, 1);

        // An unanswered create seen in a read and on the primary is one dropped acknowledgment.
        let mut log = Log::default();
        let mut create = entry(Op::Create, 0, 0, ABSENT, 1);
        create.outcome = Outcome::Unanswered;
        log.push(create, &[]);
        log.push(entry(Op::Get, 10 * MS, 200, 1, 1), &[]);
        let mut finals = Finals::default();
        finals.primary.insert(
            0,
            Row {
                id: "x".into(),
                version: 1,
                value: 1,
            },
        );
        let checked = check(&log, 1, &[], &settings(), &finals);
        let found: Vec<Category> = checked.violations.iter().map(|v| v.category).collect();
        assert_eq!(found, [Category::Errors]);
        assert_eq!(checked.applied_unanswered, 1);
    }
}
