//! What auditing and the outbox cost a write on Postgres: single-row student creates through
//! the service, with neither, with the audit log, and with the audit log and the outbox's
//! capture triggers, in alternating rounds of one run (the machine is shared:
//! alternating spreads its noise over both). Reports writes per second, and CPU per write of
//! this process and of the Postgres backends serving it (from `/proc`, steadier than time).
//!
//! The same with bulk creates of 500 rows (`audit_cost_of_bulk_creates`): the capture is one
//! trigger call per statement there, the audit log one multi-row insert per batch.
//!
//! A measurement of a minute, not a check: `cargo nextest run -p campushub-sqlx
//! --all-features --run-ignored only audit_cost` with the services up; the numbers are in
//! docs/performance.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use campushub_core::conformance::data::student_input;
use campushub_core::{
    BatchMode, CustomFieldDef, EntityService, Principal, Repository, Role, Student,
};
use campushub_sqlx::SqlRepository;
use sqlx::{Connection, PgConnection};

use crate::support::pgdb::TestDb;

/// Rounds per variant, and creates per round.
const ROUNDS: usize = 6;
const WRITES: usize = 400;

/// Bulk rounds: calls per round, and rows per call.
const BULK_CALLS: usize = 8;
const BULK_ROWS: usize = 500;

/// How a round writes.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// `WRITES` single-row creates.
    Single,
    /// `BULK_CALLS` bulk creates of `BULK_ROWS` rows.
    Bulk,
}

impl Mode {
    fn rows_per_round(self) -> usize {
        match self {
            Mode::Single => WRITES,
            Mode::Bulk => BULK_ROWS * BULK_CALLS,
        }
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` (Linux's USER_HZ).
const TICKS: f64 = 100.0;

/// CPU ticks (user + system) of process `pid`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after its closing parenthesis.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
    field(11) + field(12)
}

/// CPU ticks of this process and of every backend connected to `database`.
async fn ticks(connection: &mut PgConnection, database: &str) -> (u64, u64) {
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
        .bind(database)
        .fetch_all(connection)
        .await
        .expect("backends");
    let backends = pids
        .into_iter()
        .filter_map(|pid| u32::try_from(pid).ok())
        .map(cpu_ticks)
        .sum();
    (cpu_ticks(std::process::id()), backends)
}

#[tokio::test]
#[ignore = "a measurement of a minute: see the module's docs"]
async fn audit_cost_of_single_row_creates() {
    audit_cost(Mode::Single).await;
}

#[tokio::test]
#[ignore = "a measurement of a minute: see the module's docs"]
async fn audit_cost_of_bulk_creates() {
    audit_cost(Mode::Bulk).await;
}

async fn audit_cost(mode: Mode) {
    let db = TestDb::shared().await;
    let router = db.primary_router().await;
    let students: Arc<dyn Repository<Student>> = Arc::new(SqlRepository::new(router.clone()));
    let definitions: Arc<dyn Repository<CustomFieldDef>> =
        Arc::new(SqlRepository::new(router.clone()));
    let build = |audit: bool| {
        let builder =
            EntityService::builder(Arc::clone(&students)).custom_fields(Arc::clone(&definitions));
        if audit {
            builder.build()
        } else {
            builder.without_audit().build()
        }
    };
    // (name, service, whether the outbox's capture triggers are on)
    let variants = [
        ("neither", build(false), false),
        ("audit log", build(true), false),
        ("audit log + outbox", build(true), true),
    ];
    let database: String = {
        let mut connection = PgConnection::connect(&db.primary).await.expect("connect");
        sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&mut connection)
            .await
            .expect("name")
    };
    let mut observer = PgConnection::connect(&db.primary).await.expect("connect");
    let principal = Principal::new("loader", [Role::ADMIN]);
    let mut totals = [(Duration::ZERO, 0u64, 0u64); 3];
    let mut serial = 0usize;
    // One warm-up round of each, not counted: connections, plans, the first pages.
    for round in 0..=ROUNDS {
        for (which, (_, service, outbox)) in variants.iter().enumerate() {
            let toggle = if *outbox { "ENABLE" } else { "DISABLE" };
            sqlx::query(&format!(
                "ALTER TABLE students {toggle} TRIGGER students_outbox_inserts"
            ))
            .execute(&mut observer)
            .await
            .expect("toggle the capture");
            let (own_before, pg_before) = ticks(&mut observer, &database).await;
            let started = Instant::now();
            match mode {
                Mode::Single => {
                    for _ in 0..WRITES {
                        serial += 1;
                        let body = serde_json::to_value(student_input(&format!("C{serial}")))
                            .expect("a body");
                        service.create_json(&principal, body).await.expect("create");
                    }
                }
                Mode::Bulk => {
                    for _ in 0..BULK_CALLS {
                        let rows = (0..BULK_ROWS)
                            .map(|_| {
                                serial += 1;
                                serde_json::to_value(student_input(&format!("C{serial}")))
                                    .expect("a body")
                            })
                            .collect();
                        let report = service
                            .bulk_create(&principal, rows, BatchMode::AllOrNothing)
                            .await
                            .expect("bulk create");
                        assert_eq!(report.succeeded, BULK_ROWS, "{report:?}");
                    }
                }
            }
            let elapsed = started.elapsed();
            let (own_after, pg_after) = ticks(&mut observer, &database).await;
            if round > 0 {
                totals[which].0 += elapsed;
                totals[which].1 += own_after - own_before;
                totals[which].2 += pg_after - pg_before;
            }
        }
    }
    let writes = (ROUNDS * mode.rows_per_round()) as f64;
    println!("{mode:?} creates:");
    let mut rates = Vec::new();
    for ((name, _, _), (elapsed, own, pg)) in variants.iter().zip(totals) {
        let rate = writes / elapsed.as_secs_f64();
        rates.push(rate);
        println!(
            "{name}: {rate:.0} writes/s, client CPU {:.3} ms/write, Postgres CPU {:.3} ms/write",
            own as f64 / TICKS * 1000.0 / writes,
            pg as f64 / TICKS * 1000.0 / writes,
        );
    }
    println!(
        "audit log / neither: {:.3}; audit log + outbox / neither: {:.3} of the writes per second",
        rates[1] / rates[0],
        rates[2] / rates[0]
    );
}
