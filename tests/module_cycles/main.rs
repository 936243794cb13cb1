//! The module-cycle check: no crate of the workspace has modules that import each other,
//! directly or through others.
//!
//! Invariant: within every crate, the top-level modules form an acyclic graph, and so do the
//! submodules of each directory module (`campushub-sqlx`'s `pg/*`, `campushub-http`'s
//! `openapi/*`, …). Shared pieces live in leaf modules that the others import (the header
//! names in `campushub-http/src/headers.rs`, the route helper in `routing.rs`); a module that
//! needs a little of another's state takes that part, not the whole.
//!
//! How it is checked, without `cargo modules` (see `graph.rs` for the rules): every file under
//! each crate's `src/` is a module; its `use` trees and its `crate::`/`super::`/`self::` paths
//! in code, outside comments, strings and `#[cfg(test)]` items, are resolved to the module that
//! defines what they name, through the `use`/`pub use` lines of the modules they pass (so
//! `use crate::ApiState` counts as an edge to `state`, where `lib.rs` re-exports it from). A
//! parent re-exporting its children is no edge; a name re-exported from another crate is no
//! edge either. The test fails listing each cycle with one line of evidence per edge (a file
//! and line under the crate's `src/`). What it does not see: paths that macros build, and
//! items reached through a glob import (`use crate::x::*` counts as an edge to `x` only).
//! The checker's own tests (in `lexer.rs` and `graph.rs`) hold it to small synthetic crates:
//! a cycle, through a re-export or among submodules, is found; an acyclic tree passes.

mod graph;
mod lexer;

use std::path::{Path, PathBuf};

use graph::{cycles, Crate};

/// Every crate of the workspace: the facade at the root and each member folder with a `src/`.
fn crate_sources() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut crates = vec![("campushub".to_string(), root.join("src"))];
    let entries = std::fs::read_dir(root).expect("the workspace root is readable");
    let mut members: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| dir.join("Cargo.toml").is_file() && dir.join("src").is_dir())
        .map(|dir| {
            (
                dir.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into()),
                dir.join("src"),
            )
        })
        .collect();
    members.sort();
    crates.extend(members);
    crates
}

#[test]
fn no_crate_has_a_module_cycle() {
    let crates = crate_sources();
    assert!(
        crates.len() >= 5,
        "expected the facade and four member crates, found {crates:?}"
    );
    let mut report = String::new();
    for (name, src) in &crates {
        let krate = Crate::read(src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
        assert!(
            krate.module_count() > 0,
            "{name}: no module read from {}",
            src.display()
        );
        let edges = krate.edges();
        assert!(
            krate.module_count() < 3 || !edges.is_empty(),
            "{name}: modules but no edge found"
        );
        for (group, inside) in cycles(&edges) {
            let members: Vec<String> = group.iter().map(|m| m.join("::")).collect();
            report.push_str(&format!("{name}: cycle among {}\n", members.join(", ")));
            for edge in inside {
                let (from, to) = (edge.from.join("::"), edge.to.join("::"));
                report.push_str(&format!("    {from} -> {to}   ({})\n", edge.evidence));
            }
        }
    }
    assert!(
        report.is_empty(),
        "modules that import each other:\n{report}"
    );
}
