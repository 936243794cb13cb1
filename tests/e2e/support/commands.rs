//! Running the server's commands in this process (`user create`, ...) configured as an
//! instance is, and a folder of a test's own for their files and an SQLite database.

use std::collections::HashMap;
use std::path::PathBuf;

use campushub::server::{Args, Config, Server};
use clap::Parser;

use super::instance::JWT_SECRET;

/// A folder of the test's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh folder under the system's temporary folder.
    pub fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("campushub-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TempDir(path)
    }

    /// The path of `name` in the folder.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("a UTF-8 path").to_owned()
    }

    /// Writes `contents` to the file `name` in the folder and returns its path.
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

/// Runs `campushub <argv>` in this process, configured by `vars` as an instance is.
pub async fn command(argv: &[&str], vars: &[(&str, String)]) -> Result<(), String> {
    command_of(&Server::new(), argv, vars).await
}

/// [`command`] run by `server` (the built-in kinds and what its hooks add).
pub async fn command_of(
    server: &Server,
    argv: &[&str],
    vars: &[(&str, String)],
) -> Result<(), String> {
    let args = Args::try_parse_from(std::iter::once("campushub").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    let mut all: HashMap<String, String> = HashMap::from([
        ("CAMPUSHUB_JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
        ("CAMPUSHUB_DEMO_DATA".to_owned(), "false".to_owned()),
    ]);
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let config = Config::load(|name| all.get(name).cloned()).map_err(|e| e.to_string())?;
    server.run(&args, config).await.map_err(|e| e.to_string())
}
