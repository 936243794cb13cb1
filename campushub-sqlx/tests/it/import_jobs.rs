//! Import jobs on Postgres and SQLite: of instances claiming at once, exactly one runs each
//! job; a job whose lease ran out is taken over, and the instance that lost it can neither
//! renew nor end it; a job under a live lease is left alone; the file comes back as sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use campushub_core::exchange::jobs::{
    ImportJobStore, JobOutcome, JobState, JobSubmitter, NewImportJob,
};
use campushub_sqlx::{Backend, SqlImportJobs};
use campushub_testkit::SeededRng;
use serde_json::json;

use crate::support::pgdb::TestDb;
use crate::support::sqlite_file::SqliteFile;

fn job(n: usize, subject: &str, file: Vec<u8>) -> NewImportJob {
    NewImportJob {
        resource: "students".to_owned(),
        format: if n.is_multiple_of(2) { "csv" } else { "xlsx" }.to_owned(),
        dry_run: n.is_multiple_of(3),
        mode: "all_or_nothing".to_owned(),
        submitter: JobSubmitter {
            subject: subject.to_owned(),
            roles: vec!["registrar".to_owned()],
            api_key: None,
        },
        file,
    }
}

const LONG: Duration = Duration::from_secs(60);

async fn racing_claimers_run_each_job_once<B: Backend>(backend: B) {
    let store = Arc::new(SqlImportJobs::new(backend));
    let seed = SeededRng::seed_from_env("CAMPUSHUB_TEST_SEED", 0x1b_0b5);
    eprintln!("import jobs: seed {seed} (CAMPUSHUB_TEST_SEED replays it)");
    let mut rng = SeededRng::new(seed);
    let mut files = HashMap::new();
    for n in 0..24 {
        let file: Vec<u8> = (0..rng.below(5_000) + 1)
            .map(|_| rng.below(256) as u8)
            .collect();
        let submitted = store
            .submit(job(
                n,
                if n.is_multiple_of(2) { "ana" } else { "ben" },
                file.clone(),
            ))
            .await
            .expect("submitted");
        assert_eq!(submitted.state, JobState::Queued);
        files.insert(submitted.id, file);
    }
    let mut claimers = Vec::new();
    for instance in 0..4 {
        let store = Arc::clone(&store);
        let pause = rng.below(3);
        claimers.push(tokio::spawn(async move {
            let name = format!("instance-{instance}");
            let mut ran = Vec::new();
            while let Some(claimed) = store.claim(&name, LONG).await.expect("claim") {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                assert!(store
                    .heartbeat(claimed.job.id, &name, LONG, 7, Some(9))
                    .await
                    .expect("heartbeat"));
                let report = json!({"by": name});
                let outcome = JobOutcome::Succeeded(report);
                assert!(store
                    .finish(claimed.job.id, &name, outcome)
                    .await
                    .expect("finish"));
                ran.push((claimed.job.id, claimed.file));
            }
            (name, ran)
        }));
    }
    let mut runs = HashMap::new();
    for claimer in claimers {
        let (name, ran) = claimer.await.expect("claimer");
        for (id, file) in ran {
            assert_eq!(files.get(&id), Some(&file), "the file comes back as sent");
            assert!(
                runs.insert(id, name.clone()).is_none(),
                "job {id} ran twice"
            );
        }
    }
    assert_eq!(runs.len(), files.len(), "every job ran");
    for (id, name) in &runs {
        let stored = store.get(*id).await.expect("get").expect("the job");
        assert_eq!(stored.state, JobState::Succeeded);
        assert_eq!(stored.attempts, 1);
        assert_eq!(stored.instance.as_deref(), Some(name.as_str()));
        assert_eq!(stored.report, Some(json!({"by": name})));
        assert_eq!((stored.rows_done, stored.rows_total), (7, Some(9)));
        assert!(stored.finished_at.is_some());
    }
    let ana = store.list(Some("ana"), 100).await.expect("list");
    assert_eq!(ana.len(), 12);
    assert!(ana.iter().all(|job| job.submitter.subject == "ana"));
    assert!(
        ana.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "newest first"
    );
    assert_eq!(store.list(None, 5).await.expect("list").len(), 5);
}

async fn an_expired_lease_is_taken_over<B: Backend>(backend: B) {
    let store = SqlImportJobs::new(backend);
    let submitted = store
        .submit(job(1, "ana", b"a,b\n".to_vec()))
        .await
        .expect("submit");
    let first = store
        .claim("first", Duration::from_millis(1))
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(first.job.id, submitted.id);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = store
        .claim("second", LONG)
        .await
        .expect("claim")
        .expect("taken over");
    assert_eq!(second.job.id, submitted.id);
    assert_eq!(second.job.attempts, 2);
    assert_eq!(second.file, b"a,b\n");
    // The first instance lost the job: it can neither renew nor end it.
    assert!(!store
        .heartbeat(submitted.id, "first", LONG, 1, None)
        .await
        .expect("hb"));
    let stale = JobOutcome::Failed("stale".to_owned());
    assert!(!store
        .finish(submitted.id, "first", stale)
        .await
        .expect("finish"));
    // A live lease is left alone.
    assert!(store.claim("third", LONG).await.expect("claim").is_none());
    assert!(store
        .heartbeat(submitted.id, "second", LONG, 3, None)
        .await
        .expect("hb"));
    let failed = JobOutcome::Failed("the file has no header row".to_owned());
    assert!(store
        .finish(submitted.id, "second", failed)
        .await
        .expect("finish"));
    let ended = store.get(submitted.id).await.expect("get").expect("job");
    assert_eq!(ended.state, JobState::Failed);
    assert_eq!(ended.failure.as_deref(), Some("the file has no header row"));
    assert_eq!(ended.instance.as_deref(), Some("second"));
    // An ended job is never claimed again, and cannot be ended twice.
    assert!(store.claim("fourth", LONG).await.expect("claim").is_none());
    let again = JobOutcome::Succeeded(json!({}));
    assert!(!store
        .finish(submitted.id, "second", again)
        .await
        .expect("finish"));
}

#[tokio::test]
async fn sqlite_racing_claimers_run_each_job_once() {
    let file = SqliteFile::new("import_jobs_race");
    racing_claimers_run_each_job_once(file.migrated_store().await).await;
}

#[tokio::test]
async fn pg_racing_claimers_run_each_job_once() {
    let db = TestDb::shared().await;
    racing_claimers_run_each_job_once(db.primary_router().await).await;
}

#[tokio::test]
async fn sqlite_an_expired_lease_is_taken_over() {
    let file = SqliteFile::new("import_jobs_lease");
    an_expired_lease_is_taken_over(file.migrated_store().await).await;
}

#[tokio::test]
async fn pg_an_expired_lease_is_taken_over() {
    let db = TestDb::shared().await;
    an_expired_lease_is_taken_over(db.primary_router().await).await;
}
