use campushub::core::RecordMeta;
use campushub::Entity;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
struct Course {
    #[serde(flatten)]
    meta: RecordMeta,
    department_id: Option<uuid::Uuid>,
    #[field(embed(from = department_id, fields(code)))]
    department: Option<campushub::core::Embedded>,
}

fn main() {}
