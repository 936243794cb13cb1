//! Where documents' bytes live: an [`ObjectStore`] (the local filesystem, or an S3-compatible
//! store), written by streaming with a running SHA-256 and a size limit, read whole or by
//! range, and listed for the orphan sweep.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The folder of every document's objects: `documents/<document id>/<upload id>`.
const PREFIX: &str = "documents";

/// How many parts of an upload may be in flight at once: bounds the memory one upload holds
/// (parts are 5 MiB, S3's smallest).
const PARTS_IN_FLIGHT: usize = 2;

/// A handle on the store of documents' bytes; cheap to clone.
#[derive(Debug, Clone)]
pub struct DocumentStore {
    objects: Arc<dyn ObjectStore>,
}

/// What an upload stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The new object's key.
    pub key: String,
    /// Its length in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// Why an upload stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body went past the limit (in bytes); what was written was aborted.
    #[error("the document is larger than {0} bytes")]
    TooLarge(u64),
    /// The body was empty: there is nothing to store.
    #[error("the body is empty")]
    Empty,
    /// The client's body failed (a dropped connection, a cut-off body).
    #[error("the body could not be read: {0}")]
    Body(String),
    /// The store failed.
    #[error("the document store failed: {0}")]
    Store(#[from] object_store::Error),
}

/// A stored object as the sweep sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its key.
    pub key: String,
    /// The document whose upload wrote it (from its key), if the key is one of ours.
    pub document: Option<Uuid>,
    /// When it was written.
    pub written_at: DateTime<Utc>,
}

impl DocumentStore {
    /// A store of documents' bytes in `objects`.
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        DocumentStore { objects }
    }

    /// A fresh key for an upload of document `id`: a failed upload never touches the object
    /// the document's metadata names.
    pub fn fresh_key(id: Uuid) -> String {
        format!("{}/{}", Self::folder(id), Uuid::now_v7())
    }

    /// The folder of document `id`'s objects.
    pub fn folder(id: Uuid) -> String {
        format!("{PREFIX}/{id}")
    }

    /// Streams `body` into a new object of document `id`, hashing it as it goes; a body over
    /// `max_bytes`, an empty one, or one that fails is aborted and leaves nothing stored.
    ///
    /// # Errors
    /// [`UploadError`]; the partial object is aborted in every case.
    pub async fn upload<S, E>(
        &self,
        id: Uuid,
        body: S,
        max_bytes: u64,
    ) -> Result<Stored, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let key = Self::fresh_key(id);
        let upload = self
            .objects
            .put_multipart(&Path::from(key.as_str()))
            .await?;
        let mut writer = WriteMultipart::new(upload);
        match copy(body, &mut writer, max_bytes).await {
            Ok((size, sha256)) => {
                writer.finish().await?;
                Ok(Stored { key, size, sha256 })
            }
            Err(error) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, key, "an aborted upload left parts behind");
                }
                Err(error)
            }
        }
    }

    /// The object at `key`: its whole length, and a stream of the bytes of `range` (all of
    /// them when `None`).
    ///
    /// # Errors
    /// The store's, [`object_store::Error::NotFound`] for a missing object.
    pub async fn download(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> object_store::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self.objects.get_opts(&Path::from(key), options).await?;
        Ok(got.into_stream())
    }

    /// Deletes the object at `key` (a missing one is not an error).
    ///
    /// # Errors
    /// The store's.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.objects.delete(&Path::from(key)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            done => done,
        }
    }

    /// Every object under the documents' folder.
    pub fn objects(&self) -> BoxStream<'static, object_store::Result<StoredObject>> {
        self.objects_under(PREFIX)
    }

    /// Every object under `prefix` (a folder, such as [`DocumentStore::folder`]'s).
    pub fn objects_under(
        &self,
        prefix: &str,
    ) -> BoxStream<'static, object_store::Result<StoredObject>> {
        self.objects
            .list(Some(&Path::from(prefix)))
            .map_ok(|meta| {
                let key = meta.location.to_string();
                let document = key
                    .strip_prefix(PREFIX)
                    .and_then(|rest| rest.trim_start_matches('/').split('/').next())
                    .and_then(|id| id.parse().ok());
                StoredObject {
                    key,
                    document,
                    written_at: meta.last_modified,
                }
            })
            .boxed()
    }
}

/// Copies `body` into `writer` up to `max_bytes`: its length and SHA-256.
async fn copy<S, E>(
    mut body: S,
    writer: &mut WriteMultipart,
    max_bytes: u64,
) -> Result<(u64, String), UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|error| UploadError::Body(error.to_string()))?;
        size = size.saturating_add(chunk.len() as u64);
        if size > max_bytes {
            return Err(UploadError::TooLarge(max_bytes));
        }
        hasher.update(&chunk);
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.put(chunk);
    }
    if size == 0 {
        return Err(UploadError::Empty);
    }
    // The digest formats itself as lower-case hex.
    Ok((size, format!("{:x}", hasher.finalize())))
}
