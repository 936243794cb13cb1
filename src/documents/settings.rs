//! How documents are configured: where their bytes go, how large an upload may be and which
//! media types are accepted, read from `CAMPUSHUB_DOCUMENTS_*` variables.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;

use super::store::DocumentStore;

/// The media types accepted by default: PDF, the common image formats, plain text, and the
/// office formats of letters and transcripts.
pub const DEFAULT_CONTENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];

/// The largest upload accepted by default: 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// How often an instance sweeps orphaned bytes by default: hourly.
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How old an unreferenced object must be before a sweep deletes it, by default: an hour,
/// far longer than an upload may take (the router's request timeout).
pub const DEFAULT_SWEEP_GRACE: Duration = Duration::from_secs(3600);

/// The default store: a folder beside the example server's database.
pub const DEFAULT_STORE: &str = "fs:./data/documents";

/// Where documents' bytes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A folder of the local filesystem (created when missing, at the latest by the first
    /// upload): `fs:<path>`.
    Filesystem(String),
    /// A bucket of an S3-compatible store: `s3://<bucket>`, with [`S3Options`].
    S3 {
        /// The bucket's name.
        bucket: String,
        /// Endpoint, region and credentials.
        options: S3Options,
    },
}

/// How to reach an S3-compatible store; unset values come from the `AWS_*` variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, ...) as the AWS tools read
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// The endpoint of a store other than AWS (MinIO, Ceph, moto): `http://host:port`; paths
    /// name the bucket (no virtual-hosted buckets).
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
}

/// Everything documents are configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSettings {
    /// Where the bytes go.
    pub location: StoreLocation,
    /// The largest upload, in bytes (`413` beyond, and nothing stored).
    pub max_bytes: u64,
    /// The media types an upload may declare (`415` for others), lower case, without
    /// parameters.
    pub content_types: Vec<String>,
    /// How often each instance sweeps orphaned bytes ([`super::sweep`]); `None`: never.
    pub sweep_every: Option<Duration>,
    /// How old an unreferenced object must be before a sweep deletes it: longer than an
    /// upload may take, since an upload's object is referenced only once it is complete.
    pub sweep_grace: Duration,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A variable's value is not understood.
    #[error("{name}: {message}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The store could not be opened.
    #[error("the document store cannot be opened: {0}")]
    Store(#[from] object_store::Error),
    /// The store's folder could not be resolved to an absolute path.
    #[error("the document store's folder cannot be resolved: {0}")]
    Folder(#[from] std::io::Error),
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            location: StoreLocation::Filesystem(DEFAULT_STORE["fs:".len()..].to_owned()),
            max_bytes: DEFAULT_MAX_BYTES,
            content_types: DEFAULT_CONTENT_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            sweep_every: Some(DEFAULT_SWEEP_EVERY),
            sweep_grace: DEFAULT_SWEEP_GRACE,
        }
    }
}

impl DocumentSettings {
    /// The settings `var` gives (`std::env::var` for the process's environment):
    /// `CAMPUSHUB_DOCUMENTS_STORE` (`fs:<path>`, default `fs:./data/documents`, or
    /// `s3://<bucket>`), `CAMPUSHUB_DOCUMENTS_S3_ENDPOINT`, `CAMPUSHUB_DOCUMENTS_S3_REGION`,
    /// `CAMPUSHUB_DOCUMENTS_S3_ACCESS_KEY_ID`, `CAMPUSHUB_DOCUMENTS_S3_SECRET_ACCESS_KEY`,
    /// `CAMPUSHUB_DOCUMENTS_MAX_BYTES` (default 64 MiB) and `CAMPUSHUB_DOCUMENTS_CONTENT_TYPES`
    /// (comma-separated, default [`DEFAULT_CONTENT_TYPES`]), `CAMPUSHUB_DOCUMENTS_SWEEP_EVERY`
    /// (a duration such as `30m`, default `1h`; `off`: no sweep) and
    /// `CAMPUSHUB_DOCUMENTS_SWEEP_GRACE` (default `1h`).
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let defaults = DocumentSettings::default();
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let location = match get("CAMPUSHUB_DOCUMENTS_STORE") {
            None => defaults.location,
            Some(spec) => parse_location(spec.trim(), || S3Options {
                endpoint: get("CAMPUSHUB_DOCUMENTS_S3_ENDPOINT"),
                region: get("CAMPUSHUB_DOCUMENTS_S3_REGION"),
                access_key_id: get("CAMPUSHUB_DOCUMENTS_S3_ACCESS_KEY_ID"),
                secret_access_key: get("CAMPUSHUB_DOCUMENTS_S3_SECRET_ACCESS_KEY"),
            })?,
        };
        let max_bytes = match get("CAMPUSHUB_DOCUMENTS_MAX_BYTES") {
            None => defaults.max_bytes,
            Some(value) => value
                .trim()
                .parse()
                .ok()
                .filter(|max| *max > 0)
                .ok_or_else(|| SettingsError::Invalid {
                    name: "CAMPUSHUB_DOCUMENTS_MAX_BYTES",
                    message: format!("`{value}` is not a positive number of bytes"),
                })?,
        };
        let content_types = match get("CAMPUSHUB_DOCUMENTS_CONTENT_TYPES") {
            None => defaults.content_types,
            Some(list) => list
                .split(',')
                .map(|item| item.trim().to_ascii_lowercase())
                .filter(|item| !item.is_empty())
                .collect(),
        };
        let duration = |name: &'static str| match get(name) {
            None => Ok(None),
            Some(value) if value.trim() == "off" && name == SWEEP_EVERY => Ok(None),
            Some(value) => crate::server::parse_duration(&value)
                .filter(|every| !(every.is_zero() && name == SWEEP_EVERY))
                .map(Some)
                .ok_or_else(|| SettingsError::Invalid {
                    name,
                    message: format!("`{value}` is not a duration such as 30s, 15m or 2h"),
                }),
        };
        let sweep_every = match get(SWEEP_EVERY) {
            None => defaults.sweep_every,
            Some(_) => duration(SWEEP_EVERY)?,
        };
        let sweep_grace = duration(SWEEP_GRACE)?.unwrap_or(defaults.sweep_grace);
        Ok(DocumentSettings {
            location,
            max_bytes,
            content_types,
            sweep_every,
            sweep_grace,
        })
    }

    /// Opens the store the settings name (creating a filesystem store's folder when it can).
    ///
    /// # Errors
    /// [`SettingsError::Store`], or [`SettingsError::Folder`] when a relative folder has no
    /// working directory to be resolved against.
    pub fn open_store(&self) -> Result<DocumentStore, SettingsError> {
        let objects: Arc<dyn ObjectStore> = match &self.location {
            StoreLocation::Filesystem(path) => {
                // The folder is made here when it can be, else by the first upload: an
                // instance whose working directory is read-only (a container whose documents
                // go to S3 in production) still starts, and its uploads answer `503`.
                if let Err(error) = std::fs::create_dir_all(path) {
                    tracing::warn!(%error, path, "the documents' folder cannot be created yet");
                }
                let folder = std::path::absolute(path)?;
                let prefix =
                    object_store::path::Path::from_absolute_path(&folder).map_err(|error| {
                        object_store::Error::Generic {
                            store: "LocalFileSystem",
                            source: Box::new(error),
                        }
                    })?;
                Arc::new(PrefixStore::new(LocalFileSystem::new(), prefix))
            }
            StoreLocation::S3 { bucket, options } => {
                // The S3 client's reqwest has rustls without a provider of its own (as the
                // trace exporter's, `server/traces.rs`): make the process's default ring,
                // unless the application installed one already.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(endpoint) = &options.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(region) = &options.region {
                    builder = builder.with_region(region);
                }
                if let Some(key) = &options.access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &options.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(DocumentStore::new(objects))
    }

    /// Whether an upload may declare `content_type` (parameters and case ignored).
    pub fn accepts(&self, content_type: &str) -> bool {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        self.content_types
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(media))
    }
}

/// The variable of [`DocumentSettings::sweep_every`].
const SWEEP_EVERY: &str = "CAMPUSHUB_DOCUMENTS_SWEEP_EVERY";

/// The variable of [`DocumentSettings::sweep_grace`].
const SWEEP_GRACE: &str = "CAMPUSHUB_DOCUMENTS_SWEEP_GRACE";

/// The location `spec` names.
fn parse_location(
    spec: &str,
    s3: impl FnOnce() -> S3Options,
) -> Result<StoreLocation, SettingsError> {
    if let Some(path) = spec.strip_prefix("fs:") {
        if !path.is_empty() {
            return Ok(StoreLocation::Filesystem(path.to_owned()));
        }
    } else if let Some(bucket) = spec.strip_prefix("s3://") {
        let bucket = bucket.trim_end_matches('/');
        if !bucket.is_empty() && !bucket.contains('/') {
            return Ok(StoreLocation::S3 {
                bucket: bucket.to_owned(),
                options: s3(),
            });
        }
    }
    Err(SettingsError::Invalid {
        name: "CAMPUSHUB_DOCUMENTS_STORE",
        message: format!("`{spec}` is neither `fs:<path>` nor `s3://<bucket>`"),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{DocumentSettings, StoreLocation};

    fn settings(vars: &[(&str, &str)]) -> Result<DocumentSettings, super::SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        DocumentSettings::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_variables_name_the_store_the_limit_and_the_types() {
        let read = settings(&[
            ("CAMPUSHUB_DOCUMENTS_STORE", "s3://bucket"),
            ("CAMPUSHUB_DOCUMENTS_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("CAMPUSHUB_DOCUMENTS_MAX_BYTES", "10"),
            (
                "CAMPUSHUB_DOCUMENTS_CONTENT_TYPES",
                "application/PDF, text/plain",
            ),
            ("CAMPUSHUB_DOCUMENTS_SWEEP_EVERY", "off"),
            ("CAMPUSHUB_DOCUMENTS_SWEEP_GRACE", "2h"),
        ])
        .expect("valid");
        let StoreLocation::S3 { bucket, options } = &read.location else {
            panic!("an S3 location: {read:?}");
        };
        assert_eq!(bucket, "bucket");
        assert_eq!(options.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(read.max_bytes, 10);
        assert!(read.accepts("application/pdf; charset=binary"));
        assert!(!read.accepts("image/png"));
        assert_eq!(read.sweep_every, None);
        assert_eq!(read.sweep_grace, std::time::Duration::from_secs(7200));
        let defaults = settings(&[]).expect("valid");
        assert_eq!(defaults, DocumentSettings::default());
    }

    #[test]
    fn a_bad_value_is_refused_naming_its_variable() {
        for (name, value) in [
            ("CAMPUSHUB_DOCUMENTS_STORE", "ftp://x"),
            ("CAMPUSHUB_DOCUMENTS_STORE", "s3://a/b"),
            ("CAMPUSHUB_DOCUMENTS_MAX_BYTES", "0"),
            ("CAMPUSHUB_DOCUMENTS_MAX_BYTES", "ten"),
            ("CAMPUSHUB_DOCUMENTS_SWEEP_EVERY", "0s"),
            ("CAMPUSHUB_DOCUMENTS_SWEEP_GRACE", "off"),
        ] {
            let error = settings(&[(name, value)]).expect_err(value);
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }
}
