use campushub::core::RecordMeta;
use campushub_derive::{Entity, SqlEntity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity, SqlEntity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    code: String,
    #[field(filter, references_kind = "faculty")]
    lecturer_id: Option<uuid::Uuid>,
}

fn main() {}
