//! The command line: a subcommand and `--flag value` pairs. Flags that mirror configuration
//! are the variable's name without `CAMPUSHUB_`, lower case, dashes for underscores
//! (`--database-url` is `CAMPUSHUB_DATABASE_URL`) and win over the environment.

use std::collections::BTreeMap;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Load generated records through the bulk paths.
    Seed,
    /// Print a signed token.
    Token,
    /// Apply the migrations and exit.
    Migrate,
    /// Print the usage.
    Help,
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct Args {
    /// The subcommand.
    pub command: Command,
    /// `--name value` pairs, by name without the dashes.
    pub flags: BTreeMap<String, String>,
}

/// The flags each subcommand takes besides the configuration mirrors.
const COMMAND_FLAGS: [(Command, &[&str]); 2] = [
    (Command::Seed, &["departments", "students", "faculty"]),
    (Command::Token, &["sub", "role", "ttl"]),
];

impl Args {
    /// Parses the arguments after the program name; `mirrors` are the configuration
    /// variables a flag may set.
    pub fn parse(args: impl IntoIterator<Item = String>, mirrors: &[&str]) -> Result<Args, String> {
        let mut args = args.into_iter().peekable();
        let command = match args.peek().map(String::as_str) {
            Some("serve") => Command::Serve,
            Some("seed") => Command::Seed,
            Some("token") => Command::Token,
            Some("migrate") => Command::Migrate,
            Some("help" | "--help" | "-h") => Command::Help,
            Some(other) if !other.starts_with("--") => {
                return Err(format!("unknown command `{other}` (try `help`)"))
            }
            _ => Command::Serve,
        };
        if args.peek().is_some_and(|a| !a.starts_with("--")) {
            args.next();
        }
        let own: &[&str] = COMMAND_FLAGS
            .iter()
            .find(|(c, _)| *c == command)
            .map_or(&[], |(_, flags)| flags);
        let mut flags = BTreeMap::new();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Ok(Args {
                    command: Command::Help,
                    flags,
                });
            }
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}`"));
            };
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => {
                    let value = args
                        .next()
                        .ok_or_else(|| format!("`--{flag}` needs a value"))?;
                    (flag.to_owned(), value)
                }
            };
            let known = own.contains(&name.as_str())
                || mirrors.iter().any(|variable| flag_name(variable) == name);
            if !known {
                return Err(format!("unknown flag `--{name}` (try `help`)"));
            }
            flags.insert(name, value);
        }
        Ok(Args { command, flags })
    }

    /// The value of the flag mirroring `variable`, if given.
    pub fn mirror(&self, variable: &str) -> Option<String> {
        self.flags.get(&flag_name(variable)).cloned()
    }
}

/// `CAMPUSHUB_DATABASE_URL` → `database-url`.
pub(super) fn flag_name(variable: &str) -> String {
    variable
        .trim_start_matches("CAMPUSHUB_")
        .to_ascii_lowercase()
        .replace('_', "-")
}
