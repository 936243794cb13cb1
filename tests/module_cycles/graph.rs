//! One crate's modules, the edges between sibling modules, and the cycles among them.
//!
//! A file is a module (`lib.rs` the root, `a.rs` or `a/mod.rs` the module `a`, `a/b.rs` the
//! module `a::b`); its references are resolved to the module that defines what they name.
//! A reference from `a::x::…` to `a::y::…` is an edge between the siblings `a::x` and `a::y`
//! (their paths part below their common parent `a`), so every directory module, and the crate
//! root, has its own graph of its children. A parent is not a node of its children's graph:
//! its `mod` and `pub use` lines re-export them, and an item it defines itself belongs to the
//! unit that holds both. A name a parent only re-exports (`use crate::ApiState` where
//! `lib.rs` says `pub use state::ApiState`) resolves to the module it comes from. Inline
//! `mod x { … }` blocks count as part of their file's module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::lexer::{scan, Reference};

/// A module's path from the crate root (`["pg", "router"]`; the root is empty).
pub type ModulePath = Vec<String>;

/// A crate's modules, read from its files.
#[derive(Debug, Default)]
pub struct Crate {
    modules: BTreeMap<ModulePath, Module>,
}

/// One module's file and the paths it names.
#[derive(Debug)]
struct Module {
    file: String,
    references: Vec<Reference>,
}

/// Why one sibling depends on another: the first reference found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The module that names the other one.
    pub from: ModulePath,
    /// The module it names.
    pub to: ModulePath,
    /// `file:line path`, for the report.
    pub evidence: String,
}

impl Crate {
    /// Reads every `.rs` file under `src` (a crate's source folder).
    pub fn read(src: &Path) -> std::io::Result<Crate> {
        let mut files = Vec::new();
        collect_files(src, &mut files)?;
        let mut sources = Vec::new();
        for file in files {
            let relative = file.strip_prefix(src).unwrap_or(&file);
            let name = relative.to_string_lossy().replace('\\', "/");
            sources.push((name, std::fs::read_to_string(&file)?));
        }
        Ok(Crate::from_sources(
            sources.iter().map(|(n, s)| (n.as_str(), s.as_str())),
        ))
    }

    /// Builds the crate from `(path under src/, source)` pairs.
    pub fn from_sources<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Crate {
        let mut modules = BTreeMap::new();
        let mut test_only = Vec::new();
        for (file, source) in sources {
            let Some(path) = module_path(file) else {
                continue;
            };
            let scanned = scan(source);
            for name in scanned.test_modules {
                test_only.push([path.clone(), vec![name]].concat());
            }
            let module = Module {
                file: file.to_string(),
                references: scanned.references,
            };
            modules.insert(path, module);
        }
        modules.retain(|path, _| !test_only.iter().any(|t| path.starts_with(t)));
        Crate { modules }
    }

    /// How many modules were read (a check that reads nothing proves nothing).
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    /// One edge per ordered pair of siblings that reference each other, with its evidence.
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges: BTreeMap<(ModulePath, ModulePath), String> = BTreeMap::new();
        for (from, module) in &self.modules {
            for reference in &module.references {
                let Some(target) = self.resolve(from, &reference.path, 0) else {
                    continue;
                };
                let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
                if common == from.len() || common == target.len() {
                    continue; // One contains the other: no sibling edge.
                }
                let evidence = format!(
                    "{}:{} {}",
                    module.file,
                    reference.line,
                    reference.path.join("::")
                );
                edges
                    .entry((from[..=common].to_vec(), target[..=common].to_vec()))
                    .or_insert(evidence);
            }
        }
        let into_edge = |((from, to), evidence)| Edge { from, to, evidence };
        edges.into_iter().map(into_edge).collect()
    }

    /// The module that defines what `path`, written in module `at`, names; `None` for a path
    /// outside the crate.
    fn resolve(&self, at: &ModulePath, path: &[String], depth: usize) -> Option<ModulePath> {
        let (mut base, mut rest) = (at.clone(), path);
        match path.first().map(String::as_str) {
            Some("crate") => (base, rest) = (Vec::new(), &path[1..]),
            Some("self") => rest = &path[1..],
            Some("super") => {
                let supers = path.iter().take_while(|s| *s == "super").count();
                base.truncate(at.len().checked_sub(supers)?);
                rest = &path[supers..];
            }
            // In a `use`, a bare first segment is a child module or an external crate.
            Some(first)
                if self
                    .modules
                    .contains_key(&[at.clone(), vec![first.to_string()]].concat()) => {}
            _ => return None,
        }
        let mut module = base;
        for segment in rest {
            let child = [module.clone(), vec![segment.clone()]].concat();
            if !self.modules.contains_key(&child) {
                // `segment` is an item of `module`: follow it if `module` only imports it
                // (from a sibling, or from outside the crate: then there is no edge).
                if depth < 8 {
                    if let Some(found) = self.imported(&module, segment, depth) {
                        return found;
                    }
                }
                break;
            }
            module = child;
        }
        Some(module)
    }

    /// Where the name a `use` in `module` binds comes from (`Some(None)`: outside the crate),
    /// if a `use` binds it.
    fn imported(
        &self,
        module: &ModulePath,
        name: &str,
        depth: usize,
    ) -> Option<Option<ModulePath>> {
        let source = self.modules.get(module)?;
        let binding = source
            .references
            .iter()
            .find(|r| r.binds.as_deref() == Some(name))?;
        Some(self.resolve(module, &binding.path, depth + 1))
    }
}

/// The module a file under `src/` is (`None` for a file that is not Rust source).
fn module_path(file: &str) -> Option<ModulePath> {
    let stem = file.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(String::from).collect();
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") || parts.last()? == "mod" {
        parts.pop();
    }
    Some(parts)
}

/// Every `.rs` file under `dir`, in a stable order.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// The groups of modules that reach each other (strongly connected components of more than
/// one module), each sorted, with the edges inside the group.
pub fn cycles(edges: &[Edge]) -> Vec<(Vec<ModulePath>, Vec<Edge>)> {
    let mut next: BTreeMap<&ModulePath, Vec<&ModulePath>> = BTreeMap::new();
    for edge in edges {
        next.entry(&edge.from).or_default().push(&edge.to);
    }
    let reach = |start: &ModulePath| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &to in next.get(node).into_iter().flatten() {
                if seen.insert(to) {
                    stack.push(to);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&ModulePath, BTreeSet<&ModulePath>> =
        next.keys().map(|&node| (node, reach(node))).collect();
    let mut groups: BTreeSet<Vec<ModulePath>> = BTreeSet::new();
    for (&node, reached) in &reachable {
        let group: Vec<ModulePath> = reached
            .iter()
            .filter(|other| {
                reachable
                    .get(*other)
                    .is_some_and(|back| back.contains(node))
            })
            .map(|m| (*m).clone())
            .collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let inside = edges
                .iter()
                .filter(|e| group.contains(&e.from) && group.contains(&e.to))
                .cloned()
                .collect();
            (group, inside)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[ModulePath]) -> Vec<String> {
        paths.iter().map(|p| p.join("::")).collect()
    }

    fn cycle_groups(sources: &[(&str, &str)]) -> Vec<Vec<String>> {
        let krate = Crate::from_sources(sources.iter().copied());
        cycles(&krate.edges())
            .iter()
            .map(|(group, _)| names(group))
            .collect()
    }

    #[test]
    fn files_map_to_modules() {
        let path = |f| module_path(f).map(|p| p.join("::"));
        assert_eq!(path("lib.rs").as_deref(), Some(""));
        assert_eq!(path("a.rs").as_deref(), Some("a"));
        assert_eq!(path("a/mod.rs").as_deref(), Some("a"));
        assert_eq!(path("a/b/c.rs").as_deref(), Some("a::b::c"));
        assert_eq!(path("a/notes.md"), None);
    }

    #[test]
    fn a_tree_without_cycles_passes() {
        let sources = [
            (
                "lib.rs",
                "pub mod a; pub mod b; pub mod c; pub use a::Alpha; pub use b::Beta;",
            ),
            (
                "a.rs",
                "use crate::b::Beta; use crate::Gamma as _; fn f() -> crate::c::C {}
                 pub use other_crate::External;",
            ),
            ("b.rs", "use super::c::C;"),
            // `a` passes on an item of another crate: naming it through `a` is no edge to `a`.
            (
                "c.rs",
                "pub struct C; use std::fmt; use crate::Shared; use crate::a::External;",
            ),
        ];
        assert_eq!(cycle_groups(&sources), Vec::<Vec<String>>::new());
        let edges = Crate::from_sources(sources).edges();
        let pairs: Vec<String> = edges
            .iter()
            .map(|e| format!("{}>{}", e.from.join("::"), e.to.join("::")))
            .collect();
        assert_eq!(pairs, vec!["a>b", "a>c", "b>c"]);
    }

    #[test]
    fn a_cycle_through_a_root_re_export_is_found() {
        let sources = [
            (
                "lib.rs",
                "pub mod a; pub mod b; pub mod c; pub use c::Gamma;",
            ),
            ("a.rs", "use crate::b::Beta;"),
            ("b.rs", "pub fn f() { crate::Gamma::new(); }"),
            ("c.rs", "use super::a::{self, Alpha};"),
        ];
        assert_eq!(cycle_groups(&sources), vec![vec!["a", "b", "c"]]);
    }

    #[test]
    fn cycles_among_submodules_are_found_at_their_level() {
        let sources = [
            ("lib.rs", "mod pg; mod other;"),
            (
                "pg/mod.rs",
                "mod router; mod health; pub use health::Health; pub use router::Router;",
            ),
            ("pg/router.rs", "use super::Health;"),
            ("pg/health.rs", "use super::router::Pool;"),
            ("other.rs", "use crate::pg::Router;"),
        ];
        assert_eq!(
            cycle_groups(&sources),
            vec![vec!["pg::health", "pg::router"]]
        );
    }

    #[test]
    fn test_only_code_makes_no_edge() {
        let sources = [
            ("lib.rs", "mod a; mod b;"),
            ("a.rs", "use crate::b::B; #[cfg(test)] mod tests;"),
            ("a/tests.rs", "use crate::a::A; use crate::b::B;"),
            ("b.rs", "#[cfg(test)] mod tests { use crate::a::A; }"),
        ];
        assert_eq!(cycle_groups(&sources), Vec::<Vec<String>>::new());
    }

    #[test]
    fn parents_using_their_children_make_no_edge() {
        let sources = [
            ("lib.rs", "mod api; pub use api::Api;"),
            (
                "api/mod.rs",
                "mod part; pub struct Api; fn f() { part::g() }",
            ),
            ("api/part.rs", "use super::Api; use crate::Api as Same;"),
        ];
        assert_eq!(Crate::from_sources(sources).edges(), Vec::new());
    }
}
