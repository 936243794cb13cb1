//! [`TempDir`]: a folder of one test's own (files, an SQLite database), removed when dropped.

use std::path::PathBuf;

/// A folder of the test's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty folder under the system's temporary directory.
    pub fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("campushub-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TempDir(path)
    }

    /// Writes `contents` to the file `name` in the folder; returns its path.
    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("a temporary file");
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    /// The variables of an instance on an SQLite database in the folder.
    pub fn sqlite(&self) -> Vec<(&'static str, String)> {
        let url = format!("sqlite://{}/campushub.db", self.0.display());
        vec![("CAMPUSHUB_DATABASE_URL", url)]
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
