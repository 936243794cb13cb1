//! The checker: a randomized, seeded workload on two instances sharing a primary, a replica
//! and Redis, with faults injected (Redis down, replica replay paused, replica down, an
//! instance restarted, Redis unreachable from one instance), every request recorded and the
//! history checked for read-your-writes, bounded staleness, list freshness, lost updates and
//! errors.
//!
//! `CAMPUSHUB_CHECKER_SEED` replays a run's choices (printed at the start, in the report and
//! in every failure), `CAMPUSHUB_CHECKER_SECONDS` sets its length (60 by default; the long
//! run is `scripts/checker.sh`), `CAMPUSHUB_CHECKER_REPORT` writes the Markdown report to a
//! file (and every violation, one a line, beside it in `<report>.violations.txt`); see
//! [`settings`] for the others.

mod check;
mod faults;
mod final_state;
mod history;
mod instances;
mod report;
mod run;
mod settings;
mod workload;

use settings::Settings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_run_keeps_every_promise() {
    let settings = Settings::from_env();
    println!(
        "checker: seed {} ({}), {} s, {} clients, fault bound {} s (recovery {} s), faults {}",
        settings.seed,
        settings.replay(),
        settings.duration.as_secs(),
        settings.clients,
        settings.fault_bound.as_secs_f64(),
        settings.recovery.as_secs_f64(),
        if settings.faults { "on" } else { "off" },
    );
    let run = run::run(&settings).await;
    let report = report::render(&settings, &run);
    println!("{report}");
    if let Some(path) = &settings.report {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).expect("the report's folder");
        }
        std::fs::write(path, &report)
            .unwrap_or_else(|e| panic!("writing the report to {}: {e}", path.display()));
        // The report shows the first violations of each category; every one goes beside it.
        let all = path.with_extension("violations.txt");
        let lines: Vec<String> = run
            .checked
            .violations
            .iter()
            .map(|v| {
                let fault = v.fault.map_or("-", |f| f.name());
                format!("{}\t{fault}\t{}", v.category.name(), v.detail)
            })
            .collect();
        std::fs::write(&all, lines.join("\n") + "\n")
            .unwrap_or_else(|e| panic!("writing the violations to {}: {e}", all.display()));
    }
    let violations = &run.checked.violations;
    let counts: Vec<String> = check::Category::ALL
        .iter()
        .map(|category| {
            let n = violations
                .iter()
                .filter(|v| v.category == *category)
                .count();
            format!("{}: {n}", category.name())
        })
        .collect();
    assert!(
        violations.is_empty(),
        "the checker found {} violations ({}); {}",
        violations.len(),
        counts.join(", "),
        settings.replay()
    );
    // The instances' output is kept for a failing run only (the assertion above returns
    // first): a passing run leaves nothing behind in the temporary folder.
    let _ = std::fs::remove_dir_all(&run.logs);
}
