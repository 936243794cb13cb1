//! The command line, parsed by clap: a subcommand (`serve` when none is given) and the
//! settings' flags. Every setting but a secret has a flag, named after its variable without
//! `CAMPUSHUB_` (`--database-url` is `CAMPUSHUB_DATABASE_URL`), accepted before or after the
//! subcommand; a flag wins over its variable (clap's `env`) and over its `*_FILE`. The
//! settings themselves are described once, in `settings.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgGroup, ArgMatches, FromArgMatches, Parser, Subcommand};
use clap_complete::Shell;

use super::config::Config;
use super::parse::parse_duration;
use super::settings::{self, SETTINGS};
use super::values::ConfigError;
use crate::core::Role;

/// The longest a `token` may be valid for: a leaked token stays usable until it expires, and
/// nothing revokes one yet.
const MAX_TOKEN_TTL: Duration = Duration::from_secs(30 * 86_400);

/// The end of every configuration-reading command's help: what has no flag.
const ENVIRONMENT_ONLY: &str = "\
Secrets have no flag (a flag's value is visible to `ps`); give them in the environment, or
the path of a file holding one in <variable>_FILE (its trailing newline is ignored):
  CAMPUSHUB_JWT_SECRET      HS256 secret, at least 32 characters (development secret if unset, SQLite only)
  CAMPUSHUB_API_KEYS        subject:role[+role]:key entries, comma-separated
  CAMPUSHUB_CURSOR_KEY      key signing list cursors (derived from the JWT secret if unset)
The URLs accept a file too: CAMPUSHUB_DATABASE_URL_FILE, CAMPUSHUB_REPLICA_URLS_FILE,
CAMPUSHUB_ANALYTICS_URL_FILE, CAMPUSHUB_REDIS_URL_FILE.
Durations: 250ms, 30s, 5m, 2h, 7d. See docs/integrators-guide.md.";

/// The parsed command line: [`Args::parse`](Parser::parse) (exits on a bad command line, as
/// a `main` would) or [`Args::try_parse_from`](Parser::try_parse_from), then
/// [`Args::config`]. Build it with clap's [`Parser`] methods only.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "campushub",
    about = "CampusHub server: the REST API over SQLite or Postgres with replicas, with the \
             moka + Redis cache",
    after_help = ENVIRONMENT_ONLY,
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the API (the default command)
    #[command(after_help = ENVIRONMENT_ONLY)]
    Serve,
    /// Load generated records through the bulk paths, with a progress bar
    #[command(
        after_help = ENVIRONMENT_ONLY,
        group(ArgGroup::new("counts").required(true).multiple(true)),
    )]
    Seed {
        /// Departments to create
        #[arg(long, value_name = "N", default_value = "0", value_parser = count, group = "counts")]
        departments: usize,
        /// Students to create (placed in the new departments, else in existing ones)
        #[arg(long, value_name = "N", default_value = "0", value_parser = count, group = "counts")]
        students: usize,
        /// Faculty members to create
        #[arg(long, value_name = "N", default_value = "0", value_parser = count, group = "counts")]
        faculty: usize,
    },
    /// Print a bearer token signed with the configured HS256 secret
    #[command(after_help = ENVIRONMENT_ONLY)]
    Token {
        /// The token's subject
        #[arg(long, value_name = "NAME")]
        sub: String,
        /// Its roles.
        #[command(flatten)]
        roles: Roles,
        /// The records it is linked to.
        #[command(flatten)]
        links: Links,
        /// How long it is valid, at most 30d
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = ttl)]
        ttl: Duration,
    },
    /// Manage user accounts (the first admin: `user create --email ... --role admin`)
    #[command(subcommand)]
    User(UserCommand),
    /// Write every record of a kind (the list's filters narrow them) to stdout as CSV or
    /// XLSX: `export students --format xlsx > students.xlsx`
    #[command(after_help = ENVIRONMENT_ONLY)]
    Export {
        /// The kind
        #[arg(value_enum)]
        kind: Kind,
        /// The file format
        #[arg(long, value_enum, default_value = "csv")]
        format: FileFormat,
        /// A list parameter, as the list route takes it (`status=ACTIVE`, `ordering=-roll_number`);
        /// repeat for more
        #[arg(long = "where", value_name = "NAME=VALUE", value_parser = pair)]
        filters: Vec<(String, String)>,
    },
    /// Import a CSV or XLSX file by natural key (all or nothing unless --best-effort), with
    /// progress on stderr: `import students.csv --dry-run`
    #[command(after_help = ENVIRONMENT_ONLY)]
    Import {
        /// The file (`.csv` or `.xlsx`); its name's stem names the kind unless --kind does
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// The kind (default: the file name's stem, `students.csv` → students)
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Check every row and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Write the rows that pass even when others are refused
        #[arg(long)]
        best_effort: bool,
    },
    /// Apply the migrations (the built-in ones, then the tables of the application's own
    /// kinds) and exit; `--print` shows their SQL instead
    #[command(after_help = ENVIRONMENT_ONLY)]
    Migrate {
        /// Print the SQL that would run (pending built-in migrations, each registered kind's
        /// creation, hand-written migrations or additive changes) without running it
        #[arg(long)]
        print: bool,
    },
    /// Recount the statistics from the rows and compare them with the counts the writes
    /// keep; exits non-zero, listing every difference, if any differs (run it while nothing
    /// writes, or twice)
    #[command(after_help = ENVIRONMENT_ONLY)]
    VerifyAggregates,
    /// Print the completion script of a shell (e.g. `completions bash > /etc/bash_completion.d/campushub`)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// A kind that exports and imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Departments, by `code`
    Departments,
    /// Students, by `roll_number`
    Students,
    /// Faculty, by `employee_id`
    Faculty,
}

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// RFC 4180 CSV, UTF-8
    Csv,
    /// An XLSX workbook
    Xlsx,
}

/// `NAME=VALUE`.
fn pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

/// The roles of a token or an account: `--role admin,registrar` (or `--role` repeated).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Roles {
    /// Its roles: admin, registrar, faculty, analyst, auditor, student, metrics
    #[arg(
        long = "role",
        value_name = "ROLE[,ROLE]",
        required = true,
        value_delimiter = ',',
        value_parser = role,
    )]
    pub roles: Vec<Role>,
}

/// The records a token is linked to (its `student_id`, `faculty_id` and `department_id`
/// claims), which row scopes read: `--student <uuid>` for a `student` token.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Links {
    /// The student record of a `student` token (the one record it reads)
    #[arg(long, value_name = "UUID")]
    pub student: Option<uuid::Uuid>,
    /// The faculty record of a `faculty` token
    #[arg(long, value_name = "UUID")]
    pub faculty: Option<uuid::Uuid>,
    /// The department a department scope limits the token to
    #[arg(long, value_name = "UUID")]
    pub department: Option<uuid::Uuid>,
}

/// What `user` does.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum UserCommand {
    /// Create an account with a password (read from --password-file, else prompted for on a
    /// terminal; never from a flag, never printed)
    #[command(after_help = ENVIRONMENT_ONLY)]
    Create {
        /// The sign-in email
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// The name shown for the account (default: the email)
        #[arg(long, value_name = "NAME")]
        display_name: Option<String>,
        /// Its roles.
        #[command(flatten)]
        roles: Roles,
        /// The account's own student record (what a `student` account reads)
        #[arg(long, value_name = "UUID")]
        student: Option<uuid::Uuid>,
        /// The account's own faculty record (its department is resolved at each sign-in)
        #[arg(long, value_name = "UUID")]
        faculty: Option<uuid::Uuid>,
        /// A file holding the password (its trailing newline is ignored); `-` reads standard
        /// input
        #[arg(long, value_name = "FILE")]
        password_file: Option<std::path::PathBuf>,
    },
}

impl Args {
    /// The command to run: `serve` when the command line names none.
    pub fn subcommand(&self) -> &Command {
        self.command.as_ref().unwrap_or(&Command::Serve)
    }

    /// The value of `variable`'s setting given on the command line or in the variable itself
    /// (as parsed; secrets and `*_FILE` variables are not flags, so `None` for them).
    pub fn setting(&self, variable: &str) -> Option<&str> {
        self.settings.values.get(variable).map(|v| v.value.as_str())
    }

    /// Reads the configuration ([`Config::load`]) from the command line's settings over the
    /// process's environment; a flag hides its variable's `*_FILE` as it hides the variable.
    pub fn config(&self) -> Result<Config, ConfigError> {
        Config::load(|name| self.lookup(name, |name| std::env::var(name).ok()))
    }

    /// `name`'s value: the parsed setting, else `env`'s, unless `name` is the `*_FILE` of a
    /// setting given as a flag.
    fn lookup(&self, name: &str, env: impl Fn(&str) -> Option<String>) -> Option<String> {
        if let Some(value) = self.settings.values.get(name) {
            return Some(value.value.clone());
        }
        let file_of_flag = settings::find(name)
            .filter(|s| s.file == Some(name))
            .and_then(|s| self.settings.values.get(s.variable))
            .is_some_and(|value| value.from_flag);
        if file_of_flag {
            return None;
        }
        env(name)
    }
}

/// The settings given as flags or read by clap from their variables.
#[derive(Clone, Default)]
struct Settings {
    values: BTreeMap<&'static str, Value>,
}

#[derive(Clone)]
struct Value {
    value: String,
    /// Given as a flag rather than by the variable.
    from_flag: bool,
}

/// Names only: a URL may carry a password.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl clap::Args for Settings {
    fn augment_args(command: clap::Command) -> clap::Command {
        let flags = SETTINGS.iter().filter_map(|setting| {
            let flag = setting.flag?;
            Some(
                Arg::new(setting.variable)
                    .long(flag)
                    .env(setting.variable)
                    // The help would print the variables' values, passwords included.
                    .hide_env_values(true)
                    .value_name(setting.value)
                    .help(setting.help)
                    .action(ArgAction::Set)
                    .global(true)
                    .help_heading("Settings (a flag wins over its variable)"),
            )
        });
        command.args(flags)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

impl FromArgMatches for Settings {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut settings = Settings::default();
        settings.update_from_arg_matches(matches)?;
        Ok(settings)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for setting in SETTINGS.iter().filter(|s| s.flag.is_some()) {
            let id = setting.variable;
            if let Ok(Some(value)) = matches.try_get_one::<String>(id) {
                let from_flag = matches.value_source(id) == Some(ValueSource::CommandLine);
                let value = Value {
                    value: value.clone(),
                    from_flag,
                };
                self.values.insert(id, value);
            }
        }
        Ok(())
    }
}

/// A number of rows; `100_000` reads as `100000`.
fn count(value: &str) -> Result<usize, String> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))
}

/// A built-in role.
fn role(name: &str) -> Result<Role, String> {
    Role::BUILT_IN
        .into_iter()
        .find(|role| role.as_str() == name.trim())
        .ok_or_else(|| {
            format!(
                "`{name}` is not one of admin, registrar, faculty, analyst, auditor, student, \
                 metrics"
            )
        })
}

/// A token's lifetime: a positive duration up to [`MAX_TOKEN_TTL`].
fn ttl(value: &str) -> Result<Duration, String> {
    let ttl = parse_duration(value)
        .ok_or_else(|| format!("`{value}` is not a duration such as 30m, 2h or 7d"))?;
    if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
        return Err(format!("`{value}` is not between 1s and 30d"));
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("campushub").chain(argv.iter().copied()))
    }

    #[test]
    fn a_flag_hides_its_variable_and_its_file() {
        let args = parse(&["--database-url", "sqlite::memory:"]).expect("flags");
        let env = |name: &str| match name {
            "CAMPUSHUB_DATABASE_URL_FILE" | "CAMPUSHUB_REDIS_URL_FILE" => Some("/x".to_owned()),
            _ => None,
        };
        assert_eq!(
            args.lookup("CAMPUSHUB_DATABASE_URL", env).as_deref(),
            Some("sqlite::memory:")
        );
        assert_eq!(args.lookup("CAMPUSHUB_DATABASE_URL_FILE", env), None);
        // Without its flag, a file variable is read as set.
        assert_eq!(
            args.lookup("CAMPUSHUB_REDIS_URL_FILE", env).as_deref(),
            Some("/x")
        );
    }

    #[test]
    fn settings_go_before_or_after_the_command() {
        let before = parse(&["--bind", "127.0.0.1:9000", "seed", "--students", "1_000"]);
        let after = parse(&["seed", "--students", "1000", "--bind", "127.0.0.1:9000"]);
        for args in [before, after] {
            let args = args.expect("seed");
            assert_eq!(args.setting("CAMPUSHUB_BIND"), Some("127.0.0.1:9000"));
            let expected = Command::Seed {
                departments: 0,
                students: 1000,
                faculty: 0,
            };
            assert_eq!(args.subcommand(), &expected);
        }
        assert_eq!(
            parse(&[]).expect("no command").subcommand(),
            &Command::Serve
        );
    }

    #[test]
    fn seed_needs_a_count_and_token_a_bounded_ttl() {
        let error = parse(&["seed"]).expect_err("no count");
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
        let error = parse(&["token", "--sub", "a", "--role", "admin", "--ttl", "31d"])
            .expect_err("too long");
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(error.to_string().contains("--ttl"), "{error}");
        let args = parse(&["token", "--sub", "a", "--role", "admin,analyst"]).expect("token");
        let Command::Token { roles, ttl, .. } = args.subcommand() else {
            panic!("not a token command: {args:?}");
        };
        assert_eq!(roles.roles, [Role::ADMIN, Role::ANALYST]);
        assert_eq!(*ttl, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn a_student_token_names_its_record() {
        let id = uuid::Uuid::new_v4().to_string();
        let args = parse(&["token", "--sub", "s", "--role", "student", "--student", &id])
            .expect("a student token");
        let Command::Token { roles, links, .. } = args.subcommand() else {
            panic!("not a token command: {args:?}");
        };
        assert_eq!(roles.roles, [Role::STUDENT]);
        assert_eq!(links.student.map(|s| s.to_string()), Some(id));
        assert_eq!((links.faculty, links.department), (None, None));
        let error = parse(&[
            "token",
            "--sub",
            "s",
            "--role",
            "student",
            "--student",
            "me",
        ])
        .expect_err("not a UUID");
        assert!(error.to_string().contains("--student"), "{error}");
    }

    #[test]
    fn user_create_takes_roles_and_a_password_file_never_a_password_flag() {
        let args = parse(&[
            "user",
            "create",
            "--email",
            "a@b.co",
            "--role",
            "admin",
            "--password-file",
            "/p",
        ])
        .expect("user create");
        let Command::User(UserCommand::Create {
            email,
            roles,
            password_file,
            ..
        }) = args.subcommand()
        else {
            panic!("not user create: {args:?}");
        };
        assert_eq!(
            (email.as_str(), roles.roles.as_slice()),
            ("a@b.co", &[Role::ADMIN][..])
        );
        assert_eq!(password_file.as_deref(), Some(std::path::Path::new("/p")));
        let error = parse(&[
            "user",
            "create",
            "--email",
            "a@b.co",
            "--role",
            "admin",
            "--password",
            "x",
        ])
        .expect_err("no password flag");
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        let error =
            parse(&["user", "create", "--email", "a@b.co"]).expect_err("a role is required");
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
    }
}
