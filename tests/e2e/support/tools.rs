//! The programs `scripts/test-tools.sh` installs under `$CAMPUSHUB_TOOLS_DIR` (default
//! `/tmp/campushub-tools`), each tool set in its own place there (a virtual environment, an
//! npm prefix), and what the tests that drive them share: a scratch directory and a
//! failure's output.

use std::path::{Path, PathBuf};
use std::process::Output;

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
