//! The `Document` record: a file's metadata, described once with
//! `#[derive(Entity, SqlEntity)]`; its bytes live in object storage ([`super::DocumentStore`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::contacts::{Owned, OwnerKind};
use crate::core::RecordMeta;
use crate::{Entity, SqlEntity};

/// A file attached to a student or a faculty member: a transcript, an ID proof, an offer
/// letter. A client writes its owner, type and title; the server writes what describes the
/// stored bytes (`content_type`, `size`, `sha256`, `uploaded_by`, `uploaded_at`,
/// `object_key`) when they are uploaded (`PUT /api/v1/documents/{id}/content`). Until then
/// those fields are `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity, SqlEntity)]
#[entity(kind = "document", table = "documents")]
pub struct Document {
    /// Id, timestamps and version (each upload is a new version).
    #[serde(flatten)]
    pub meta: RecordMeta,
    /// Whose document it is: a student or a faculty member.
    #[field(filter, stats, choice)]
    pub owner_kind: OwnerKind,
    /// The id of the student or faculty member (`owner_kind`) whose document it is.
    #[field(filter = "exact")]
    pub owner_id: Uuid,
    /// What the document is.
    #[field(filter, stats, choice)]
    pub doc_type: DocType,
    /// Its title, which also names the file a download saves (`Content-Disposition`).
    #[field(filter, order, search, text = 200)]
    pub title: String,
    /// The media type the stored bytes were uploaded with (`application/pdf`).
    #[field(filter = "eq", read_only, text = 100)]
    pub content_type: Option<String>,
    /// The stored bytes' length.
    #[field(filter, read_only)]
    pub size: Option<i64>,
    /// The stored bytes' SHA-256, lower-case hex: the download's `ETag`.
    #[field(filter = "exact", read_only, text = 64)]
    pub sha256: Option<String>,
    /// Who uploaded the stored bytes (a principal subject).
    #[field(filter = "exact", read_only, text = 200)]
    pub uploaded_by: Option<String>,
    /// When the stored bytes were uploaded.
    #[field(filter, read_only)]
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Where the bytes are in the store: a fresh key for each upload, so that an upload that
    /// fails leaves the current bytes as they were.
    #[field(read_only, text = 200)]
    pub object_key: Option<String>,
}

impl Owned for Document {
    fn owner(&self) -> (OwnerKind, Uuid) {
        (self.owner_kind, self.owner_id)
    }
}

/// What a [`Document`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocType {
    /// A transcript of records.
    #[serde(rename = "TRANSCRIPT")]
    Transcript,
    /// A proof of identity.
    #[serde(rename = "ID_PROOF")]
    IdProof,
    /// An offer or appointment letter.
    #[serde(rename = "OFFER_LETTER")]
    OfferLetter,
    /// Any other document.
    #[serde(rename = "OTHER")]
    Other,
}

impl DocType {
    /// Every value's string form, as the API reads and writes it.
    pub const ALL: &'static [&'static str] = &["TRANSCRIPT", "ID_PROOF", "OFFER_LETTER", "OTHER"];

    /// The value's string form.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocType::Transcript => "TRANSCRIPT",
            DocType::IdProof => "ID_PROOF",
            DocType::OfferLetter => "OFFER_LETTER",
            DocType::Other => "OTHER",
        }
    }
}
