//! The run's report in Markdown: operations by kind and status, throughput, retries, faults
//! with their durations, violations by category (with examples), worst staleness with and
//! without faults.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::check::{seconds, Category, ReadKind};
use super::faults::Fault;
use super::history::{Op, Outcome};
use super::run::Run;
use super::settings::Settings;

/// Examples of each category shown in the report.
const EXAMPLES: usize = 8;

/// The report of `run`.
pub fn render(settings: &Settings, run: &Run) -> String {
    let mut out = String::new();
    let w = &mut out;
    let (origin, end) = run.window;
    let length = (end - origin) as f64 / 1e6;
    let workload: Vec<_> = run
        .log
        .entries
        .iter()
        .filter(|e| e.client != u16::MAX)
        .collect();
    let violations = &run.checked.violations;

    let _ = writeln!(w, "# CampusHub checker report\n");
    let _ = writeln!(
        w,
        "Seed `{}` (`0x{:016x}`): {}.",
        settings.seed,
        settings.seed,
        settings.replay()
    );
    let _ = writeln!(
        w,
        "The seed fixes every client's choices and the fault plan; the interleaving depends on \
         timing, which a shared machine does not replay exactly.\n"
    );
    let _ = writeln!(w, "| setting | value |\n|---|---|");
    let _ = writeln!(
        w,
        "| workload | {length:.1} s ({} to {} on the run's clock, which every instant below uses), {} clients, 2 instances |",
        seconds(origin),
        seconds(end),
        settings.clients
    );
    let _ = writeln!(
        w,
        "| staleness bound | {} s; {} s during a fault and {} s after it |",
        settings.bound.as_secs_f64(),
        settings.fault_bound.as_secs_f64(),
        settings.recovery.as_secs_f64()
    );
    let _ = writeln!(
        w,
        "| records | {} (40 before the clock), {} on the primary at the end |",
        run.records,
        run.finals.primary.len()
    );
    let _ = writeln!(w, "| instances' output | `{}` |", run.logs.display());
    let _ = writeln!(
        w,
        "| verdict | **{}** |\n",
        if violations.is_empty() {
            "no violation".to_owned()
        } else {
            format!("{} violations", violations.len())
        }
    );

    let _ = writeln!(w, "## Operations\n");
    let _ = writeln!(w, "| operation | requests | outcomes |\n|---|---:|---|");
    let mut by_op: BTreeMap<Op, BTreeMap<Outcome, u64>> = BTreeMap::new();
    for entry in &workload {
        *by_op
            .entry(entry.op)
            .or_default()
            .entry(entry.outcome)
            .or_default() += 1;
    }
    for op in Op::ALL {
        let outcomes = by_op.remove(&op).unwrap_or_default();
        let total: u64 = outcomes.values().sum();
        let text: Vec<String> = outcomes
            .iter()
            .map(|(outcome, n)| format!("{}: {n}", outcome.name()))
            .collect();
        let _ = writeln!(w, "| {} | {total} | {} |", op.name(), text.join(", "));
    }
    let retries = run.log.retries;
    let _ = writeln!(
        w,
        "| **total** | **{}** | {:.0} requests/s |\n",
        workload.len(),
        workload.len() as f64 / length.max(0.001)
    );

    let _ = writeln!(w, "## Retries and unanswered writes\n");
    let _ = writeln!(
        w,
        "| requests retried | refused, retried on the other instance | reads closed before any response byte, retried | writes without a response (effect unknown) | of which applied (acknowledgment dropped) |\n|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        w,
        "| {} | {} | {} | {} | {} |\n",
        workload.iter().filter(|e| e.retries > 0).count(),
        retries.refused,
        retries.unanswered_reads,
        run.checked.unanswered_writes,
        run.checked.applied_unanswered
    );

    let _ = writeln!(w, "## Faults\n");
    let _ = writeln!(
        w,
        "{} planned, {} injected (a fault ends when the service answers again or the instance is healthy; the list is at the end).\n",
        run.planned,
        run.faults.len()
    );
    let _ = writeln!(
        w,
        "| fault | injected | shortest | mean | longest |\n|---|---:|---:|---:|---:|"
    );
    for fault in Fault::ALL {
        let lengths: Vec<f64> = run
            .faults
            .iter()
            .filter(|f| f.fault == fault)
            .map(|f| (f.end - f.start) as f64 / 1e6)
            .collect();
        if lengths.is_empty() {
            let _ = writeln!(w, "| {} | 0 | | | |", fault.name());
            continue;
        }
        let _ = writeln!(
            w,
            "| {} | {} | {:.2} s | {:.2} s | {:.2} s |",
            fault.name(),
            lengths.len(),
            lengths.iter().copied().fold(f64::MAX, f64::min),
            lengths.iter().sum::<f64>() / lengths.len() as f64,
            lengths.iter().copied().fold(0.0, f64::max)
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "## Violations\n");
    let _ = writeln!(
        w,
        "| category | violations | during or after a fault |\n|---|---:|---:|"
    );
    for category in Category::ALL {
        let of: Vec<_> = violations
            .iter()
            .filter(|v| v.category == category)
            .collect();
        let faulted = of.iter().filter(|v| v.fault.is_some()).count();
        let _ = writeln!(w, "| {} | {} | {faulted} |", category.name(), of.len());
    }
    let _ = writeln!(w);
    for category in Category::ALL {
        let of: Vec<_> = violations
            .iter()
            .filter(|v| v.category == category)
            .collect();
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(
            w,
            "### {} (first {} of {})\n",
            category.name(),
            of.len().min(EXAMPLES),
            of.len()
        );
        for violation in of.iter().take(EXAMPLES) {
            let fault = violation
                .fault
                .map(|f| format!(" [{}]", f.name()))
                .unwrap_or_default();
            let _ = writeln!(w, "- {}{fault}", violation.detail);
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Staleness of reads without a token\n");
    let _ = writeln!(
        w,
        "Stale: the read returned an older version than one acknowledged before it started; worst: \
         how long after that newer version's acknowledgment.\n"
    );
    let _ = writeln!(
        w,
        "| reads | faults | checked | stale | worst | worst read |\n|---|---|---:|---:|---:|---|"
    );
    for ((kind, faulted), stale) in &run.checked.staleness {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {:.3} s | {} |",
            match kind {
                ReadKind::Get => "get",
                ReadKind::List => "list (stale: records)",
            },
            if *faulted { "during/after" } else { "none" },
            stale.reads,
            stale.stale,
            stale.worst as f64 / 1e6,
            stale.worst_detail
        );
    }
    let _ = writeln!(
        w,
        "\n## Final state\n\nRecords read through each instance with the final token: {}, differing from the primary: {}. Groups listed: {}, differing: {}.\n",
        run.checked.final_reads.0,
        run.checked.final_reads.1,
        run.checked.final_lists.0,
        run.checked.final_lists.1
    );
    let _ = writeln!(w, "## Faults injected\n");
    if !run.faults.is_empty() {
        let _ = writeln!(
            w,
            "| # | fault | start | duration | notes |\n|---:|---|---:|---:|---|"
        );
        for (n, fault) in run.faults.iter().enumerate() {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {:.2} s | {} |",
                n + 1,
                fault.fault.name(),
                seconds(fault.start),
                (fault.end - fault.start) as f64 / 1e6,
                fault.detail
            );
        }
        let _ = writeln!(w);
    }

    out
}
