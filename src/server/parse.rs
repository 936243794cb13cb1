//! Parsers of configuration values (the database URLs, the JWT key, API keys, addresses,
//! booleans, numbers, durations), each failing with a [`ConfigError`] that names the variable,
//! and the reading of the values kept in `*_FILE` files.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::deployment::secret_strength;
use super::settings::SETTINGS;
use super::values::{error, ConfigError, Database, Environment, JwtKey};

/// The value of every setting `lookup` knows (blank values are unset), with those given as
/// `*_FILE` read from their files. Setting both a variable and its `*_FILE` is an error naming
/// both, so that neither silently wins.
pub(super) fn settings(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<&'static str, String>, ConfigError> {
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let mut values = BTreeMap::new();
    for setting in &SETTINGS {
        let value = match (
            get(setting.variable),
            setting.file.and_then(|f| Some((f, get(f)?))),
        ) {
            (Some(_), Some((file, _))) => {
                let message = format!("set either it or {}, not both", setting.variable);
                return Err(error(file, message));
            }
            (Some(value), None) => value,
            (None, Some((file, path))) => read_file(file, &path)?,
            (None, None) => continue,
        };
        values.insert(setting.variable, value);
    }
    Ok(values)
}

/// The contents of the file at `path` named by the variable `file`, less its trailing newline
/// (editors and `echo` add one; no secret or URL ends with one).
fn read_file(file: &'static str, path: &str) -> Result<String, ConfigError> {
    let contents = std::fs::read_to_string(path.trim())
        .map_err(|e| error(file, format!("cannot read `{path}`: {e}")))?;
    let value = contents.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        return Err(error(file, format!("`{path}` is empty")));
    }
    Ok(value.to_owned())
}

/// An address and port.
pub(super) fn bind(value: Option<String>) -> Result<SocketAddr, ConfigError> {
    let value = value.unwrap_or_else(|| "127.0.0.1:8080".into());
    value.parse().map_err(|_| {
        error(
            "CAMPUSHUB_BIND",
            format!("`{value}` is not an address and port such as 127.0.0.1:8080"),
        )
    })
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub(super) fn flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The value of `variable` parsed by `parse`, `default` when unset; `expected` describes a
/// good value in the error.
fn var<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(value) => parse(value.trim())
            .ok_or_else(|| error(variable, format!("`{value}` is not {expected}"))),
    }
}

/// A boolean variable (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).
pub(super) fn bool_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    var(get, variable, default, flag, "true or false")
}

/// A positive number.
pub(super) fn number_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u32,
) -> Result<u32, ConfigError> {
    let positive = |v: &str| v.parse().ok().filter(|n| *n > 0);
    var(get, variable, default, positive, "a positive number")
}

/// A positive number of bytes, with an optional `KiB`, `MiB` or `GiB` suffix.
pub(super) fn bytes_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: usize,
) -> Result<usize, ConfigError> {
    var(
        get,
        variable,
        default,
        parse_bytes,
        "a positive number of bytes such as 1048576, 512KiB, 32MiB or 1GiB",
    )
}

/// `value` in bytes: a positive number, with an optional `KiB`, `MiB` or `GiB` suffix.
pub(super) fn parse_bytes(value: &str) -> Option<usize> {
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, ""),
    };
    let scale: usize = match unit.trim() {
        "" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| *n > 0)
}

/// A positive number that `off` turns off (`None`), `default` when unset.
pub(super) fn number_or_off(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
) -> Result<Option<u64>, ConfigError> {
    let positive = |v: &str| match v {
        "off" => Some(None),
        _ => v.parse().ok().filter(|n| *n > 0).map(Some),
    };
    var(
        get,
        variable,
        Some(default),
        positive,
        "a positive number or off",
    )
}

/// A duration (see [`parse_duration`]).
pub(super) fn duration_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let expected = "a duration such as 250ms, 30s, 5m, 2h or 7d";
    var(get, variable, default, parse_duration, expected)
}

/// A duration that one of the words `off` turns off (`None`), `default` when unset.
pub(super) fn duration_or_off(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: Duration,
    off: &[&str],
) -> Result<Option<Duration>, ConfigError> {
    match get(variable) {
        Some(value) if off.contains(&value.trim()) => Ok(None),
        _ => duration_var(get, variable, default).map(Some),
    }
}

/// `250ms`, `30s`, `5m`, `2h`, `7d`, or a number of seconds.
pub(crate) fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit {
        "ms" => return Some(Duration::from_millis(number)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}

pub(super) fn database(
    url: &str,
    replicas: Option<String>,
    analytics: Option<String>,
    max_lag: Duration,
    max_connections: u32,
    statement_timeout: Option<Duration>,
) -> Result<Database, ConfigError> {
    let is_postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
    if let Some(path) = url.strip_prefix("sqlite:") {
        if replicas.is_some() || analytics.is_some() {
            let variable = if replicas.is_some() {
                "CAMPUSHUB_REPLICA_URLS"
            } else {
                "CAMPUSHUB_ANALYTICS_URL"
            };
            return Err(error(variable, "needs a postgres CAMPUSHUB_DATABASE_URL"));
        }
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(error(
                "CAMPUSHUB_DATABASE_URL",
                "the sqlite URL names no file",
            ));
        }
        let file = (path != ":memory:").then(|| PathBuf::from(path));
        return Ok(Database::Sqlite {
            url: url.to_owned(),
            file,
        });
    }
    if !is_postgres(url) {
        return Err(error(
            "CAMPUSHUB_DATABASE_URL",
            format!("`{url}` is neither a sqlite: nor a postgres:// URL"),
        ));
    }
    let replicas: Vec<String> = replicas
        .iter()
        .flat_map(|list| list.split(','))
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    if let Some(bad) = replicas.iter().find(|u| !is_postgres(u)) {
        return Err(error(
            "CAMPUSHUB_REPLICA_URLS",
            format!("`{bad}` is not a postgres:// URL"),
        ));
    }
    if let Some(bad) = analytics.as_ref().filter(|u| !is_postgres(u)) {
        return Err(error(
            "CAMPUSHUB_ANALYTICS_URL",
            format!("`{bad}` is not a postgres:// URL"),
        ));
    }
    Ok(Database::Postgres {
        primary: url.to_owned(),
        replicas,
        analytics,
        max_lag,
        max_connections,
        statement_timeout,
    })
}

/// How tokens are verified: the secret or public key given, or in development only a
/// generated secret (kept beside an SQLite file).
pub(super) fn jwt_key(
    get: &impl Fn(&str) -> Option<String>,
    database: &Database,
    environment: Environment,
) -> Result<JwtKey, ConfigError> {
    match (
        get("CAMPUSHUB_JWT_SECRET"),
        get("CAMPUSHUB_JWT_PUBLIC_KEY_FILE"),
    ) {
        (Some(_), Some(_)) => Err(error(
            "CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
            "set either it or CAMPUSHUB_JWT_SECRET, not both",
        )),
        (Some(secret), None) => {
            secret_strength(&secret).map_err(|message| error("CAMPUSHUB_JWT_SECRET", message))?;
            Ok(JwtKey::Secret(secret.into_bytes()))
        }
        (None, Some(file)) => Ok(JwtKey::PublicKeyFile(PathBuf::from(file))),
        (None, None) => match (environment, database) {
            (Environment::Production, _) => Err(error(
                "CAMPUSHUB_JWT_SECRET",
                "is required in production (the default with postgres or a non-loopback \
                 CAMPUSHUB_BIND; CAMPUSHUB_ENV=development for a generated one): set it, \
                 CAMPUSHUB_JWT_SECRET_FILE, or CAMPUSHUB_JWT_PUBLIC_KEY_FILE",
            )),
            (Environment::Development, Database::Sqlite { file, .. }) => {
                Ok(JwtKey::Development(file.as_ref().map(|f| {
                    f.parent()
                        .map(|dir| dir.join("jwt-secret"))
                        .unwrap_or_else(|| PathBuf::from("jwt-secret"))
                })))
            }
            (Environment::Development, Database::Postgres { .. }) => Ok(JwtKey::Development(None)),
        },
    }
}

pub(super) fn api_keys(
    list: Option<String>,
) -> Result<Vec<(String, Vec<String>, String)>, ConfigError> {
    let mut keys = Vec::new();
    for entry in list.iter().flat_map(|l| l.split(',')).map(str::trim) {
        let mut parts = entry.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(subject), Some(roles), Some(key))
                if !subject.is_empty() && !roles.is_empty() && key.len() >= 16 =>
            {
                let roles = roles.split('+').map(str::to_owned).collect();
                keys.push((subject.to_owned(), roles, key.to_owned()));
            }
            _ => {
                return Err(error(
                    "CAMPUSHUB_API_KEYS",
                    "expected `subject:role[+role]:key` entries separated by commas, \
                     keys of at least 16 characters",
                ))
            }
        }
    }
    Ok(keys)
}
