//! TLS to the database and Redis: whether plaintext to another host is refused
//! (`CAMPUSHUB_BACKEND_TLS`), and the certificates beyond the system's trust store.

use std::path::{Path, PathBuf};

use super::values::{error, ConfigError, Environment};
use super::BoxError;
use crate::cache::{ClientIdentity, RedisTls};

/// How the server reaches Postgres and Redis over TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendTls {
    /// Refuse a Postgres URL to another host whose `sslmode` allows plaintext, and a
    /// `redis://` URL to another host (`CAMPUSHUB_BACKEND_TLS=required`, production's default).
    pub required: bool,
    /// Root certificates Postgres servers are verified with, besides the system's.
    pub database_ca_file: Option<PathBuf>,
    /// Root certificates a `rediss://` server is verified with, instead of the system's.
    pub redis_ca_file: Option<PathBuf>,
    /// The client certificate and key presented to a Redis that requires one.
    pub redis_client_files: Option<(PathBuf, PathBuf)>,
}

impl BackendTls {
    /// Reads the settings through `get`; TLS is required by default in production.
    pub(super) fn load(
        get: &impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> Result<BackendTls, ConfigError> {
        let required = match get("CAMPUSHUB_BACKEND_TLS").as_deref().map(str::trim) {
            None => environment == Environment::Production,
            Some("required") => true,
            Some("optional") => false,
            Some(other) => {
                return Err(error(
                    "CAMPUSHUB_BACKEND_TLS",
                    format!("`{other}` is not `required` or `optional`"),
                ))
            }
        };
        let file = |variable: &'static str| -> Result<Option<PathBuf>, ConfigError> {
            match get(variable) {
                None => Ok(None),
                Some(path) if Path::new(&path).is_file() => Ok(Some(PathBuf::from(path))),
                Some(path) => Err(error(variable, format!("`{path}` is not a readable file"))),
            }
        };
        let redis_client_files = match (
            file("CAMPUSHUB_REDIS_CLIENT_CERT_FILE")?,
            file("CAMPUSHUB_REDIS_CLIENT_KEY_FILE")?,
        ) {
            (Some(certificate), Some(key)) => Some((certificate, key)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(error(
                    "CAMPUSHUB_REDIS_CLIENT_KEY_FILE",
                    "is required with CAMPUSHUB_REDIS_CLIENT_CERT_FILE",
                ))
            }
            (None, Some(_)) => {
                return Err(error(
                    "CAMPUSHUB_REDIS_CLIENT_CERT_FILE",
                    "is required with CAMPUSHUB_REDIS_CLIENT_KEY_FILE",
                ))
            }
        };
        Ok(BackendTls {
            required,
            database_ca_file: file("CAMPUSHUB_DATABASE_CA_FILE")?,
            redis_ca_file: file("CAMPUSHUB_REDIS_CA_FILE")?,
            redis_client_files,
        })
    }

    /// The Redis certificates, read from their files.
    pub(super) fn redis(&self) -> Result<RedisTls, BoxError> {
        let read = |variable: &str, path: &Path| {
            std::fs::read(path).map_err(|e| format!("{variable} `{}`: {e}", path.display()))
        };
        Ok(RedisTls {
            root_certificates: match &self.redis_ca_file {
                Some(path) => Some(read("CAMPUSHUB_REDIS_CA_FILE", path)?),
                None => None,
            },
            client_identity: match &self.redis_client_files {
                Some((certificate, key)) => Some(ClientIdentity {
                    certificate: read("CAMPUSHUB_REDIS_CLIENT_CERT_FILE", certificate)?,
                    key: read("CAMPUSHUB_REDIS_CLIENT_KEY_FILE", key)?,
                }),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)], environment: Environment) -> Result<BackendTls, ConfigError> {
        let get = |name: &str| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        };
        BackendTls::load(&get, environment)
    }

    #[test]
    fn tls_is_required_in_production_unless_made_optional() {
        assert!(load(&[], Environment::Production).expect("ok").required);
        assert!(!load(&[], Environment::Development).expect("ok").required);
        let optional = [("CAMPUSHUB_BACKEND_TLS", "optional")];
        assert!(
            !load(&optional, Environment::Production)
                .expect("ok")
                .required
        );
        let required = [("CAMPUSHUB_BACKEND_TLS", "required")];
        assert!(
            load(&required, Environment::Development)
                .expect("ok")
                .required
        );
        let wrong = [("CAMPUSHUB_BACKEND_TLS", "maybe")];
        let error = load(&wrong, Environment::Production).expect_err("refused");
        assert_eq!(error.variable, "CAMPUSHUB_BACKEND_TLS");
    }

    #[test]
    fn certificate_files_must_exist_and_come_in_pairs() {
        let missing = [("CAMPUSHUB_REDIS_CA_FILE", "/nonexistent/ca.pem")];
        let error = load(&missing, Environment::Production).expect_err("refused");
        assert_eq!(error.variable, "CAMPUSHUB_REDIS_CA_FILE");

        let file = std::env::current_exe().expect("a file that exists");
        let path = file.to_str().expect("utf-8 path");
        let half = [("CAMPUSHUB_REDIS_CLIENT_CERT_FILE", path)];
        let error = load(&half, Environment::Production).expect_err("refused");
        assert_eq!(error.variable, "CAMPUSHUB_REDIS_CLIENT_KEY_FILE");
        let pair = [
            ("CAMPUSHUB_REDIS_CLIENT_CERT_FILE", path),
            ("CAMPUSHUB_REDIS_CLIENT_KEY_FILE", path),
            ("CAMPUSHUB_DATABASE_CA_FILE", path),
        ];
        let tls = load(&pair, Environment::Production).expect("ok");
        assert_eq!(tls.database_ca_file.as_deref(), Some(file.as_path()));
        let identity = tls.redis().expect("readable").client_identity;
        assert!(identity.is_some_and(|i| !i.key.is_empty()));
    }
}
