//! The programs `scripts/test-tools.sh` installs under `$CAMPUSHUB_TOOLS_DIR` (default
//! `/tmp/campushub-tools`), each tool set in its own place there (a virtual environment, an
//! npm prefix), and what the tests that drive them share: a scratch directory and a
//! failure's output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory `scripts/test-tools.sh` installs into.
fn root() -> PathBuf {
    std::env::var_os("CAMPUSHUB_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/campushub-tools"))
}

/// The program at `path` under the tools' directory (`schemathesis/bin/st`); the test fails
/// (never skips) when it is missing.
pub fn tool(path: &str) -> PathBuf {
    let program = root().join(path);
    assert!(
        program.exists(),
        "no {}: run `scripts/test-tools.sh` (it installs the tools tests drive)",
        program.display()
    );
    program
}

/// Cargo (the one running the tests), in the workspace, without the `CARGO_*` variables
/// cargo set for this test binary (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`...): some build
/// scripts (ring's) rebuild when those change, so with them every run would rebuild the
/// dependency tree that the test build just made. `CARGO_HOME` and `CARGO_TARGET_DIR` stay.
pub fn cargo() -> Command {
    let program = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(program);
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" && name != "CARGO_TARGET_DIR" {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// `output`'s standard output and error, for a failure message.
pub fn shown(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A new directory of the calling test's own, named after `what` (the tools write reports,
/// caches and generated code where they run); removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new, empty directory.
    pub fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "campushub-{what}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
