//! Imports as jobs (issue 16): `?async=true` answers `202` with the job's `Location`; the job
//! runs in the background as its submitter and shows its progress and report; only the
//! submitter (and admins) see it; a file that cannot be read fails the job, saying why; two
//! instances on one database run each job once; and a job left running by an instance that
//! died is taken over once its lease has run out.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::rate_limits::token;
use crate::support::client::Http;
use crate::support::commands::TempDir;
use crate::support::db::{psql, TestDb};
use crate::support::env::Services;
use crate::support::instance::Instance;

const CSV: &str = "text/csv";

/// A file of `rows` students, numbered from `from`.
fn students(from: usize, rows: usize) -> Vec<u8> {
    let mut file = String::from(
        "roll_number,first_name,last_name,gender,date_of_birth,program,admission_date,year_of_study,status\n",
    );
    for n in from..from + rows {
        file.push_str(&format!(
            "J{n:05},Ada{n},Lovelace,F,2004-12-10,B.Sc,2023-08-01,2,ACTIVE\n"
        ));
    }
    file.into_bytes()
}

/// Submits `file` as a job; the job's path.
async fn submit(http: &Http, file: Vec<u8>) -> String {
    let reply = http
        .upload("/api/v1/students/import?async=true", CSV, file)
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let job = reply.json();
    assert_eq!(job["state"], "queued", "{job}");
    let location = reply.header("location").expect("a Location");
    assert_eq!(
        location,
        format!("/api/v1/import-jobs/{}", job["id"].as_str().expect("id"))
    );
    location
}

/// The job at `path` once it ended.
async fn ended(http: &Http, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = http.get(path).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let job = reply.json();
        if job["state"] == "succeeded" || job["state"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "the job never ended: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many students there are (exact up to the list's count cap of 1,000).
async fn count(http: &Http) -> u64 {
    let reply = http.get("/api/v1/students?page=1&page_size=1").await;
    reply.json()["count"].as_u64().expect("a count")
}

/// Whether the student with roll number `roll` exists.
async fn exists(http: &Http, roll: &str) -> bool {
    let reply = http
        .get(&format!("/api/v1/students?roll_number={roll}"))
        .await;
    reply.json()["results"]
        .as_array()
        .is_some_and(|rows| rows.len() == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_in_the_background_and_only_its_submitter_sees_it() {
    let dir = TempDir::new();
    let instance = Instance::start(&dir.sqlite()).await;
    let registrar = Http::new(&instance.base, Some(token("registrar-one")));
    let other = Http::new(&instance.base, Some(token("registrar-two")));

    let path = submit(&registrar, students(0, 1_500)).await;
    let job = ended(&registrar, &path).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["report"]["created"], 1_500, "{job}");
    assert_eq!(job["report"]["written"], true, "{job}");
    assert_eq!(
        (job["rows_done"].clone(), job["rows_total"].clone()),
        (json!(1_500), json!(1_500))
    );
    assert_eq!(job["submitter"]["subject"], "registrar-one");
    assert_eq!(job["attempts"], 1);
    assert!(exists(&instance.http, "J00000").await && exists(&instance.http, "J01499").await);

    // Another registrar neither reads nor lists it; an admin does both.
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(
        other.get("/api/v1/import-jobs").await.json()["results"],
        json!([])
    );
    assert_eq!(instance.http.get(&path).await.status, 200);
    let listed = registrar.get("/api/v1/import-jobs").await.json();
    assert_eq!(listed["results"][0]["id"], job["id"]);

    // A dry run as a job writes nothing and reports what it would do.
    let dry = registrar
        .upload(
            "/api/v1/students/import?async=true&dry_run=true",
            CSV,
            students(6_000, 4),
        )
        .await;
    assert_eq!(dry.status, 202, "{}", dry.text());
    let job = ended(&registrar, &dry.header("location").expect("Location")).await;
    assert_eq!(job["dry_run"], true);
    assert_eq!(job["report"]["written"], false, "{job}");
    assert_eq!(job["report"]["created"], 4, "{job}");
    assert!(
        !exists(&instance.http, "J06000").await,
        "a dry run writes nothing"
    );

    // A file that cannot be read fails the job, saying why.
    let path = submit(&registrar, b"roll_number,first_name\nR1,\"open\n".to_vec()).await;
    let job = ended(&registrar, &path).await;
    assert_eq!(job["state"], "failed", "{job}");
    let failure = job["failure"].as_str().expect("a failure");
    assert!(failure.contains("never closed"), "{failure}");

    // Bad requests change nothing.
    let bad = registrar
        .upload(
            "/api/v1/students/import?async=maybe",
            CSV,
            students(7_000, 1),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(
        registrar.get("/api/v1/import-jobs/not-a-job").await.status,
        404
    );
    instance.stop().await.expect("a clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_run_each_job_once_and_a_dead_instances_job_is_taken_over() {
    let services = Services::shared();
    let db = TestDb::create(&services.primary, &services.replica).await;
    let vars = vec![("CAMPUSHUB_DATABASE_URL", db.primary.clone())];
    let first = Instance::start(&vars).await;
    // A job an instance that died was running: its lease ran out a minute ago.
    let file = String::from_utf8(students(9_000, 25)).expect("UTF-8");
    psql(
        &db.primary,
        &format!(
            "INSERT INTO campushub_import_jobs (id, resource, format, dry_run, mode, state, \
             subject, submitter, instance, lease_until, attempts, created_at, started_at, file) \
             VALUES ('00000000-0000-4000-8000-00000000dead', 'students', 'csv', false, \
             'all_or_nothing', 'running', 'e2e-admin', \
             '{{\"subject\": \"e2e-admin\", \"roles\": [\"admin\"]}}', 'dead-instance', \
             now() - interval '1 minute', 1, now(), now() - interval '2 minutes', \
             translate(encode(convert_to('{file}', 'UTF8'), 'base64'), E'\\n', ''))"
        ),
    );
    let second = Instance::start(&vars).await;
    let taken = ended(
        &first.http,
        "/api/v1/import-jobs/00000000-0000-4000-8000-00000000dead",
    )
    .await;
    assert_eq!(taken["state"], "succeeded", "{taken}");
    assert_eq!(taken["attempts"], 2, "claimed again once: {taken}");
    assert_ne!(taken["instance"], "dead-instance");
    assert_eq!(taken["report"]["created"], 25, "{taken}");

    let mut paths = Vec::new();
    for n in 0..6 {
        let submitter = if n % 2 == 0 {
            &first.http
        } else {
            &second.http
        };
        paths.push(submit(submitter, students(10_000 + n * 100, 50)).await);
    }
    for path in &paths {
        let job = ended(&second.http, path).await;
        assert_eq!(job["state"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "run once: {job}");
        assert_eq!(job["report"]["created"], 50, "{job}");
    }
    assert_eq!(count(&first.http).await, 25 + 300);
    for instance in [first, second] {
        instance.stop().await.expect("a clean stop");
    }
    db.drop_database().await;
}
