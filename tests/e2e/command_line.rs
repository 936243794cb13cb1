//! The command line over a real environment, as the server reads it: the test binary runs
//! itself again (`child`, ignored in normal runs) with the variables set, so that clap reads
//! them from the process's environment and no test changes its own (no service needed).

use std::path::PathBuf;

use campushub::server::Args;
use clap::Parser;

use crate::support::process::rerun_clean;

/// Holds the child's arguments, separated by `\x1f`.
const ARGV: &str = "CAMPUSHUB_E2E_COMMAND_LINE";

/// The test this module runs in a child process.
const CHILD: &str = "command_line::child";

/// What the child prints before its answer (the test harness prints lines of its own).
const ANSWER: &str = "answer: ";

/// Parses `argv` and loads the configuration in a child process whose only `CAMPUSHUB_*`
/// variables are `vars`; its answer is `bind=… namespace=… cursor_key=… database=…` or
/// `error: …`.
fn run(argv: &[&str], vars: &[(&str, &str)]) -> String {
    let mut command = rerun_clean(CHILD);
    let output = command
        .env(ARGV, argv.join("\x1f"))
        .envs(vars.iter().copied())
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(ANSWER))
        .unwrap_or_else(|| panic!("no answer from the child: {stdout}"))
        .to_owned()
}

/// The child: reports what `Args::config` made of its command line and environment.
#[test]
#[ignore = "run in a child process by the command-line tests"]
fn child() {
    let Ok(argv) = std::env::var(ARGV) else {
        return;
    };
    let argv = argv.split('\x1f').filter(|arg| !arg.is_empty());
    let parsed = Args::try_parse_from(std::iter::once("campushub").chain(argv));
    let answer = match parsed
        .map_err(|e| e.to_string())
        .and_then(|args| args.config().map_err(|e| e.to_string()))
    {
        Ok(config) => format!(
            "bind={} namespace={} cursor_key={} database={:?}",
            config.bind,
            config.cache_namespace,
            config.cursor_key.unwrap_or_default(),
            config.database,
        ),
        Err(error) => error.lines().next().unwrap_or_default().to_owned(),
    };
    println!("{ANSWER}{answer}");
}

/// A file holding `contents`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> Self {
        let name = format!("campushub-e2e-{}", uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("a temporary file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_flag_overrides_its_variable() {
    let vars = [
        ("CAMPUSHUB_BIND", "127.0.0.1:9001"),
        ("CAMPUSHUB_CACHE_NAMESPACE", "from-env"),
    ];
    let answer = run(&[], &vars);
    assert!(
        answer.starts_with("bind=127.0.0.1:9001 namespace=from-env"),
        "{answer}"
    );
    let answer = run(&["--bind", "127.0.0.1:9002"], &vars);
    assert!(
        answer.starts_with("bind=127.0.0.1:9002 namespace=from-env"),
        "{answer}"
    );
    // After the command too.
    let answer = run(&["migrate", "--cache-namespace", "from-flag"], &vars);
    assert!(
        answer.starts_with("bind=127.0.0.1:9001 namespace=from-flag"),
        "{answer}"
    );
}

#[test]
fn a_bad_value_names_the_flag_and_the_variable() {
    let expected = "invalid configuration: --bind (CAMPUSHUB_BIND): `x` is not an address and \
                    port such as 127.0.0.1:8080";
    assert_eq!(run(&[], &[("CAMPUSHUB_BIND", "x")]), expected);
    assert_eq!(run(&["--bind", "x"], &[]), expected);
}

#[test]
fn secrets_and_urls_are_read_from_files() {
    let key = TempFile::new("Zq8vR2mXk4Lp9Tw7Yb3Nc6Hd1Jf5Gs0A-from-a-file\n");
    let url = TempFile::new("sqlite::memory:\r\n");
    let vars = [
        ("CAMPUSHUB_CURSOR_KEY_FILE", key.path()),
        ("CAMPUSHUB_DATABASE_URL_FILE", url.path()),
    ];
    let answer = run(&[], &vars);
    assert!(
        answer.contains("cursor_key=Zq8vR2mXk4Lp9Tw7Yb3Nc6Hd1Jf5Gs0A-from-a-file database=Sqlite"),
        "the trailing newline is dropped: {answer}"
    );
    assert!(answer.contains("url: \"sqlite::memory:\""), "{answer}");
    // A flag wins over the file as over the variable.
    let answer = run(&["--database-url", "sqlite://flag.db"], &vars);
    assert!(answer.contains("url: \"sqlite://flag.db\""), "{answer}");
}

#[test]
fn a_variable_and_its_file_together_are_refused() {
    let key = TempFile::new("a-cursor-key-from-a-file");
    let vars = [
        ("CAMPUSHUB_CURSOR_KEY", "a-cursor-key-from-the-variable"),
        ("CAMPUSHUB_CURSOR_KEY_FILE", key.path()),
    ];
    assert_eq!(
        run(&[], &vars),
        "invalid configuration: CAMPUSHUB_CURSOR_KEY_FILE: set either it or \
         CAMPUSHUB_CURSOR_KEY, not both"
    );
    let missing = [("CAMPUSHUB_JWT_SECRET_FILE", "/nonexistent/campushub-secret")];
    let answer = run(&[], &missing);
    assert!(
        answer.starts_with("invalid configuration: CAMPUSHUB_JWT_SECRET_FILE: cannot read"),
        "{answer}"
    );
}

#[test]
fn a_secret_given_as_a_flag_is_refused() {
    let answer = run(
        &["--jwt-secret", "a-secret-of-at-least-thirty-two-characters"],
        &[],
    );
    assert!(
        answer.starts_with("error: unexpected argument '--jwt-secret'"),
        "{answer}"
    );
}
