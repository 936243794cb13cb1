//! Cases: the audit log. Every write path of the services (create, replace, merge patch,
//! delete, each bulk row, custom-field definitions, user accounts and their roles) leaves
//! exactly one entry per changed record with the fields it changed, written by the store in
//! the write's transaction; a write that fails or is rolled back leaves none; the log reads
//! newest first, filtered and in cursor pages; and a seeded random run of writes, some
//! failing, replays from the log to the records the store holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::data::{custom_field_input, department_input, student_input};
use super::users::user_input;
use super::Fixture;
use crate::audit_log::{
    flatten, AuditAction, AuditEntry, AuditFilter, AuditService, AuditSettings, FieldChange,
};
use crate::auth::{Principal, RequestOrigin, Role, RolePolicy};
use crate::custom_fields::CustomFieldType;
use crate::entities::{Department, Student, User};
use crate::entity::Entity;
use crate::error::Error;
use crate::kind::EntityKind;
use crate::precondition::Precondition;
use crate::repository::BatchMode;
use crate::service::EntityService;

/// An admin with a subject of its own (so that a case reads only its own entries, whatever
/// else the store holds), calling through API key `ci` in request `request`.
fn actor(request: &str) -> Principal {
    Principal::new(format!("audit-{}", Uuid::now_v7()), [Role::ADMIN])
        .with_api_key("ci")
        .with_origin(RequestOrigin {
            request_id: Some(request.to_owned()),
            client_address: Some("203.0.113.5".to_owned()),
        })
}

/// `input` as a JSON body.
fn body(input: &impl Serialize) -> Value {
    serde_json::to_value(input).expect("an input serializes")
}

/// A JSON object as a merge patch.
fn patch(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The service of `E` over the fixture's repository, validating custom fields, auditing
/// with `settings`.
fn service<E: Entity>(
    f: &Fixture,
    repository: Arc<dyn crate::Repository<E>>,
    settings: AuditSettings,
) -> EntityService<E> {
    EntityService::builder(repository)
        .custom_fields(f.custom_fields.clone())
        .audit(settings)
        .build()
}

/// Every entry `subject` made, oldest first.
async fn entries_of(f: &Fixture, subject: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter {
        actor: Some(subject.to_owned()),
        ..AuditFilter::default()
    };
    let mut entries = f
        .audit
        .entries(&filter, 10_000)
        .await
        .expect("read the log");
    entries.reverse();
    entries
}

/// The changes of `entry` as JSON.
fn changes(entry: &AuditEntry) -> Value {
    json!(entry.changes)
}

/// Each write path leaves one entry naming the actor, the request, the action, the record,
/// its versions and the fields changed (custom fields by name, private fields without
/// values).
pub async fn every_write_path_logs_one_entry_with_its_diff(f: Fixture) {
    let who = actor("req-1");
    let settings = AuditSettings::default();
    let definitions = service(&f, f.custom_fields.clone(), settings.clone());
    let departments = service::<Department>(&f, f.departments.clone(), settings.clone());
    let students = service::<Student>(&f, f.students.clone(), settings.clone());
    let users = service::<User>(&f, f.users.clone(), settings);

    let floor = custom_field_input(
        EntityKind::DEPARTMENT,
        "floor",
        CustomFieldType::Number,
        &[],
    );
    let floor = definitions
        .create_json(&who, body(&floor))
        .await
        .expect("define")
        .record;
    let mut cse = department_input("AUD", "Audit");
    cse.custom_fields.insert("floor".into(), json!(1));
    let created = departments
        .create_json(&who, body(&cse))
        .await
        .expect("create")
        .record;
    let id = created.meta.id;
    cse.name = "Auditing".into();
    departments
        .update_json(&who, id, body(&cse), None)
        .await
        .expect("replace");
    let custom = patch(json!({"custom_fields": {"floor": 2}}));
    departments
        .partial_update(&who, id, custom, None)
        .await
        .expect("patch");
    departments.destroy(&who, id, None).await.expect("delete");

    let rows = vec![body(&student_input("AUD-1")), body(&student_input("AUD-2"))];
    let report = students
        .bulk_create(&who, rows, BatchMode::AllOrNothing)
        .await
        .expect("bulk create");
    assert_eq!(report.succeeded, 2);
    let update = vec![json!({"roll_number": "AUD-1", "status": "SUSPENDED"})];
    students
        .bulk_update(&who, update, BatchMode::AllOrNothing)
        .await
        .expect("bulk update");
    let keys = vec!["AUD-1".to_owned(), "AUD-2".to_owned()];
    students
        .bulk_delete(&who, keys, BatchMode::AllOrNothing)
        .await
        .expect("bulk delete");

    let account = users
        .create_json(&who, body(&user_input("audited@uni.example")))
        .await
        .expect("create user")
        .record;
    let roles = patch(json!({"roles": ["registrar", "auditor"]}));
    users
        .partial_update(&who, account.meta.id, roles, None)
        .await
        .expect("grant a role");

    let entries = entries_of(&f, &who.subject).await;
    let summary: Vec<(&str, AuditAction, Option<i64>, Option<i64>)> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.action, e.version_before, e.version_after))
        .collect();
    use AuditAction as A;
    assert_eq!(
        summary,
        vec![
            ("custom_field", A::Create, None, Some(1)),
            ("department", A::Create, None, Some(1)),
            ("department", A::Replace, Some(1), Some(2)),
            ("department", A::Patch, Some(2), Some(3)),
            ("department", A::Delete, Some(3), None),
            ("student", A::BulkCreate, None, Some(1)),
            ("student", A::BulkCreate, None, Some(1)),
            ("student", A::BulkUpdate, Some(1), Some(2)),
            ("student", A::BulkDelete, Some(2), None),
            ("student", A::BulkDelete, Some(1), None),
            ("user", A::Create, None, Some(1)),
            ("user", A::Patch, Some(1), Some(2)),
        ],
        "one entry per write, in order"
    );
    for entry in &entries {
        assert_eq!(entry.request_id.as_deref(), Some("req-1"));
        assert_eq!(entry.client_address.as_deref(), Some("203.0.113.5"));
        assert_eq!(entry.actor.api_key.as_deref(), Some("ci"));
        assert_eq!(entry.actor.roles, vec!["admin".to_owned()]);
    }
    assert_eq!(entries[0].record_id, floor.meta.id);
    assert_eq!(
        changes(&entries[0])["name"],
        json!({"old": null, "new": "floor"})
    );
    let create = changes(&entries[1]);
    assert_eq!(create["code"], json!({"old": null, "new": "AUD"}));
    assert_eq!(
        create["custom_fields.floor"],
        json!({"old": null, "new": 1})
    );
    assert_eq!(
        changes(&entries[2]),
        json!({"name": {"old": "Audit", "new": "Auditing"}}),
        "a replace records only what it changed"
    );
    assert_eq!(
        changes(&entries[3]),
        json!({"custom_fields.floor": {"old": 1, "new": 2}})
    );
    assert_eq!(
        changes(&entries[4])["name"],
        json!({"old": "Auditing", "new": null})
    );
    assert_eq!(
        changes(&entries[5])["date_of_birth"],
        json!({"redacted": true}),
        "a private field is recorded as changed, without its values"
    );
    assert_eq!(
        changes(&entries[7]),
        json!({"status": {"old": "ACTIVE", "new": "SUSPENDED"}})
    );
    assert_eq!(
        changes(&entries[11]),
        json!({"roles": {"old": ["registrar"], "new": ["registrar", "auditor"]}}),
        "a role change names the roles before and after"
    );
}

/// A write the store refuses, a stale condition, an all-or-nothing batch rolled back and the
/// failed rows of an each-row batch leave no entry.
pub async fn failed_and_rolled_back_writes_log_nothing(f: Fixture) {
    let who = actor("req-2");
    let departments = service::<Department>(&f, f.departments.clone(), AuditSettings::default());
    let students = service::<Student>(&f, f.students.clone(), AuditSettings::default());
    let created = departments
        .create_json(&who, body(&department_input("FAIL", "Failing")))
        .await
        .expect("create")
        .record;
    let id = created.meta.id;
    let stale = departments
        .partial_update(
            &who,
            id,
            patch(json!({"name": "Stale"})),
            Precondition::from(Some(7)),
        )
        .await;
    assert!(
        matches!(stale, Err(Error::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let taken = departments
        .create_json(&who, body(&department_input("FAIL", "Other")))
        .await;
    assert!(matches!(taken, Err(Error::Conflict { .. })), "{taken:?}");
    let mut student = student_input("FAIL-1");
    student.department_id = Some(id);
    students
        .create_json(&who, body(&student))
        .await
        .expect("a student of the department");
    let referenced = departments.destroy(&who, id, None).await;
    assert!(
        matches!(referenced, Err(Error::Conflict { .. })),
        "{referenced:?}"
    );

    // FAIL-1 is taken: the store refuses that row.
    let rows = || {
        vec![
            body(&student_input("FAIL-2")),
            body(&student_input("FAIL-1")),
        ]
    };
    let all = students
        .bulk_create(&who, rows(), BatchMode::AllOrNothing)
        .await
        .expect("bulk create");
    assert_eq!(all.succeeded, 0, "rolled back");
    let each = students
        .bulk_create(&who, rows(), BatchMode::EachRow)
        .await
        .expect("bulk create");
    assert_eq!(each.succeeded, 1, "the free row is written");

    let entries = entries_of(&f, &who.subject).await;
    let actions: Vec<(AuditAction, String)> =
        entries.iter().map(|e| (e.action, e.kind.clone())).collect();
    assert_eq!(
        actions,
        vec![
            (AuditAction::Create, "department".to_owned()),
            (AuditAction::Create, "student".to_owned()),
            (AuditAction::BulkCreate, "student".to_owned()),
        ],
        "only committed writes are logged"
    );
    assert_eq!(
        changes(&entries[2])["roll_number"],
        json!({"old": null, "new": "FAIL-2"})
    );
}

/// The log reads newest first, filtered by kind, record, actor, action and time, in cursor
/// pages that neither skip nor repeat; only auditors and admins may read it.
pub async fn audit_reads_filter_and_page_newest_first(f: Fixture) {
    let writer = actor("req-3");
    let other = actor("req-4");
    let departments = service::<Department>(&f, f.departments.clone(), AuditSettings::default());
    let mut ids = Vec::new();
    for n in 0..5 {
        let input = department_input(&format!("PG{n}"), &format!("Paged {n}"));
        let created = departments.create_json(&writer, body(&input)).await;
        ids.push(created.expect("create").record.meta.id);
    }
    departments
        .partial_update(&other, ids[2], patch(json!({"name": "Renamed"})), None)
        .await
        .expect("patch");

    let log = AuditService::new(f.audit.clone(), Arc::new(RolePolicy::defaults()));
    let auditor = Principal::new("auditor", [Role::AUDITOR]);
    let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("actor", writer.subject.as_str()), ("page_size", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = log.list(&auditor, &params(&query)).await.expect("a page");
        assert!(page.results.len() <= 2);
        seen.extend(page.results.iter().map(|e| e.record_id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(seen.len() <= 5, "the walk ends");
    }
    let newest_first: Vec<Uuid> = ids.iter().rev().copied().collect();
    assert_eq!(
        seen, newest_first,
        "newest first, no entry skipped or repeated"
    );

    let count = |page: crate::audit_log::AuditPage| page.results.len();
    let patched = log
        .list(
            &auditor,
            &params(&[("action", "patch"), ("actor", &other.subject)]),
        )
        .await;
    assert_eq!(patched.map(count).ok(), Some(1));
    let record = ids[2].to_string();
    let by_record = log.list(&auditor, &params(&[("record_id", &record)])).await;
    assert_eq!(by_record.map(count).ok(), Some(2));
    let history = log
        .history(&auditor, EntityKind::DEPARTMENT, ids[2], &[])
        .await
        .expect("history");
    let actions: Vec<AuditAction> = history.results.iter().map(|e| e.action).collect();
    assert_eq!(actions, vec![AuditAction::Patch, AuditAction::Create]);
    let other_kind = log
        .list(
            &auditor,
            &params(&[("kind", "student"), ("actor", &writer.subject)]),
        )
        .await;
    assert_eq!(other_kind.map(count).ok(), Some(0));
    let future = log
        .list(
            &auditor,
            &params(&[
                ("since", "2999-01-01T00:00:00Z"),
                ("actor", &writer.subject),
            ]),
        )
        .await;
    assert_eq!(future.map(count).ok(), Some(0));
    let past = log
        .list(
            &auditor,
            &params(&[
                ("until", "2000-01-01T00:00:00Z"),
                ("actor", &writer.subject),
            ]),
        )
        .await;
    assert_eq!(past.map(count).ok(), Some(0));

    let registrar = Principal::new("registrar", [Role::REGISTRAR]);
    let refused = log.list(&registrar, &[]).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let admin = Principal::new("admin", [Role::ADMIN]);
    assert!(log.list(&admin, &[]).await.is_ok(), "admins read the log");
}

/// A small deterministic generator (SplitMix64): the run is replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

/// The seed of the random case: `CAMPUSHUB_AUDIT_SEED` when set (to replay a failure), else
/// a fixed one.
fn seed() -> u64 {
    std::env::var("CAMPUSHUB_AUDIT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x0A0D_17ED)
}

/// A seeded random sequence of writes to departments (creates, some with a taken code;
/// replaces and patches, some with a stale condition; deletes; each-row bulk updates), with
/// every value recorded: replaying each record's entries in version order rebuilds exactly
/// the fields the store holds, and deleted records replay to nothing.
pub async fn seeded_random_writes_replay_to_the_final_state(f: Fixture) {
    let seed = seed();
    let mut rng = Rng(seed);
    let who = actor("req-random");
    let departments =
        service::<Department>(&f, f.departments.clone(), AuditSettings::recording_all());
    let mut live: Vec<(Uuid, String)> = Vec::new();
    let mut committed = 0usize;
    let mut failed = 0usize;
    for step in 0..60 {
        let outcome = match rng.below(6) {
            0 | 1 => {
                // One time in four, a code already taken (or one of a deleted record).
                let code = if !live.is_empty() && rng.below(4) == 0 {
                    live[rng.below(live.len())].1.clone()
                } else {
                    format!("R{step}")
                };
                let input = department_input(&code, &format!("Random {step}"));
                let created = departments.create_json(&who, body(&input)).await;
                created.map(|written| live.push((written.record.meta.id, code)))
            }
            _ if live.is_empty() => continue,
            2 => {
                let (id, _) = live[rng.below(live.len())];
                let condition = if rng.below(3) == 0 { Some(999) } else { None };
                let change = match rng.below(3) {
                    0 => json!({"name": format!("Renamed {step}")}),
                    1 => json!({"email": format!("d{step}@uni.example")}),
                    _ => json!({"phone": null, "status": "INACTIVE"}),
                };
                departments
                    .partial_update(&who, id, patch(change), Precondition::from(condition))
                    .await
                    .map(drop)
            }
            3 => {
                let (id, code) = live[rng.below(live.len())].clone();
                let mut input = department_input(&code, &format!("Replaced {step}"));
                input.phone = Some(format!("+9100000{step:04}"));
                departments
                    .update_json(&who, id, body(&input), None)
                    .await
                    .map(drop)
            }
            4 => {
                let index = rng.below(live.len());
                let (id, _) = live[index];
                let deleted = departments.destroy(&who, id, None).await;
                deleted.map(|_| drop(live.remove(index)))
            }
            _ => {
                let rows: Vec<Value> = live
                    .iter()
                    .filter(|_| rng.below(2) == 0)
                    .map(|(_, code)| json!({"code": code, "name": format!("Bulk {step}")}))
                    .chain([json!({"code": "NOSUCH", "name": "x"})])
                    .collect();
                let report = departments
                    .bulk_update(&who, rows, BatchMode::EachRow)
                    .await
                    .expect("an each-row batch answers");
                committed += report.succeeded;
                failed += report.errors.len();
                continue;
            }
        };
        match outcome {
            Ok(()) => committed += 1,
            Err(_) => failed += 1,
        }
    }
    assert!(
        committed >= 20 && failed >= 5,
        "seed {seed}: the run mixes writes ({committed}) and failures ({failed})"
    );

    let entries = entries_of(&f, &who.subject).await;
    assert_eq!(
        entries.len(),
        committed,
        "seed {seed}: one entry per committed write, none for a failed one"
    );
    let mut by_record: BTreeMap<Uuid, Vec<&AuditEntry>> = BTreeMap::new();
    for entry in &entries {
        by_record.entry(entry.record_id).or_default().push(entry);
    }
    for (id, mut history) in by_record {
        history.sort_by_key(|e| e.version_before.unwrap_or(0));
        let mut state: BTreeMap<String, Value> = BTreeMap::new();
        for entry in history {
            for (field, change) in &entry.changes {
                match change {
                    FieldChange::Values {
                        new: Value::Null, ..
                    } => {
                        state.remove(field);
                    }
                    FieldChange::Values { new, .. } => {
                        state.insert(field.clone(), new.clone());
                    }
                    FieldChange::Redacted { .. } => {
                        panic!("seed {seed}: nothing is private in this case")
                    }
                }
            }
        }
        let stored = f
            .departments
            .get(id, &super::support::fresh())
            .await
            .expect("read");
        let expected = stored
            .map(|record| flatten(body(&record.to_input())))
            .unwrap_or_default();
        assert_eq!(
            state, expected,
            "seed {seed}: record {id} replays to the store's"
        );
    }
}
